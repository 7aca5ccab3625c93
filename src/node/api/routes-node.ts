// The node's own routes: status, shares, peers, and the long operations answered with NDJSON
// (share, fetch, export, import). Links and capabilities are parsed here, where they enter.
import { parseCapability, parseReadCap } from '../../blocks/index.ts'
import type { LocalService, UnshareResult } from '../service.ts'
import type { TransferManager } from '../transfers/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, str, strings, strs, type RouteTable } from './http.ts'

export interface NodeRouteOptions {
  transfers?: TransferManager
  /** Where the API listens, for the status answer. */
  endpoint: () => { socket: string, tcp: string | null }
  /** Stops sharing a share and forgets it (DELETE /v0/shares/:id). */
  unshare?: (id: string, deleteData: boolean) => Promise<UnshareResult>
}

export function registerNodeRoutes (api: RouteTable, service: LocalService, options: NodeRouteOptions): void {
  const v = `/${API_VERSION}`
  api.route('GET', `${v}/status`, async () => ({
    body: {
      ...await service.status(),
      api: options.endpoint(),
      transfers: options.transfers?.list().filter(t => t.state === 'fetching').length ?? 0
    }
  }))
  api.route('GET', `${v}/shares`, async () => ({ body: { shares: await service.list() } }))
  api.route('DELETE', `${v}/shares/:id`, async ({ params, query }) => {
    const deleteData = ['1', 'true'].includes(query.get('deleteData') ?? '')
    const id = params.id!
    return { body: options.unshare != null ? await options.unshare(id, deleteData) : await service.unshare(id, { deleteData }) }
  })
  api.route('GET', `${v}/peers`, async () => {
    const network = service.network
    const swarms = network?.swarms().map(e => {
      const snap = e.swarm.snapshot()
      return { swarm: e.id, peers: snap.peerList, banned: snap.bannedPeers }
    }) ?? []
    return { body: { transport: network?.transport.kind ?? null, swarms } }
  })

  api.route('POST', `${v}/share`, async ctx => {
    const b = await objectBody(ctx)
    const paths = strings(b.paths, 'paths')
    const opts = (b.options ?? {}) as Record<string, unknown>
    return { ndjson: async send => await service.share(paths, opts, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }) }
  })
  api.route('POST', `${v}/fetch`, async ctx => {
    const b = await objectBody(ctx)
    const cap = parseReadCap(str(b, 'link'))
    const request = { output: str(b, 'output'), peers: strs(b, 'peers'), select: strs(b, 'select'), overwrite: b.overwrite === true, merge: b.merge === true, encryptedParts: b.encryptedParts === true }
    return { ndjson: async send => await service.fetch(cap, request, e => { send(e) }, ctx.signal) }
  })
  api.route('POST', `${v}/export`, async ctx => {
    const b = await objectBody(ctx)
    const cap = parseCapability(str(b, 'capability'))
    const output = typeof b.output === 'string' ? b.output : undefined
    return { ndjson: async send => await service.exportCar(cap, output, (done, total) => { send({ type: 'progress', bytesDone: done, bytesTotal: total }) }) }
  })
  api.route('POST', `${v}/import`, async ctx => {
    const b = await objectBody(ctx)
    const file = str(b, 'file')
    return { ndjson: async () => await service.importCar(file) }
  })
}
