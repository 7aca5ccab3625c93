// POST /v0/stream: `oht stream` with a daemon. The daemon fetches (peers from the request, else
// the DHT) and serves the share on its own 127.0.0.1 stream server; the answer is the URL.
import { parseReadCap, type ReadCap } from '../../blocks/index.ts'
import type { StreamHandle, StreamRequest } from '../transfers/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, type RouteTable } from './http.ts'

export type StartStream = (cap: ReadCap, request: StreamRequest) => Promise<StreamHandle>

export function registerStreamRoute (api: RouteTable, start: StartStream): void {
  api.route('POST', `/${API_VERSION}/stream`, async ctx => {
    const b = await objectBody(ctx, 'a JSON object with a link')
    if (typeof b.link !== 'string') throw new Error('request body must be a JSON object with a link')
    const h = await start(parseReadCap(b.link), {
      peers: Array.isArray(b.peers) ? b.peers.map(String) : [],
      ...(typeof b.file === 'string' ? { file: b.file } : {}),
      ...(typeof b.output === 'string' ? { output: b.output } : {})
    })
    return { body: { url: h.url, id: h.id, file: h.file, urls: h.urls } }
  })
}
