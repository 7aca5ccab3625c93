// /v0/dht: GET (stats + routing table), POST /v0/dht/{put,get,delete}.
import type { DhtPutRequest, DhtService } from '../network/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, type RouteTable } from './http.ts'

export const DHT_PATH = `/${API_VERSION}/dht`

export function registerDhtRoutes (api: RouteTable, service: DhtService): void {
  api.route('GET', DHT_PATH, async () => ({ body: await service.info() }))
  const post = (name: string, fn: (b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${DHT_PATH}/${name}`, async ctx => ({ body: await fn(await objectBody(ctx)) }))
  }
  post('put', async b => await service.put(b as unknown as DhtPutRequest))
  post('get', async b => await service.get(String(b.ref)))
  post('delete', async b => await service.delete(String(b.ref)))
}
