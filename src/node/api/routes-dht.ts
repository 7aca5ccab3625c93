// /v0/dht: GET (stats + routing table), POST /v0/dht/{put,get,delete}.
import type { DhtPutRequest, DhtService } from '../network/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, str, type RouteTable } from './http.ts'

export const DHT_PATH = `/${API_VERSION}/dht`

export function registerDhtRoutes (api: RouteTable, service: DhtService): void {
  api.route('GET', DHT_PATH, async () => ({ body: await service.info() }))
  const post = (name: string, fn: (b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${DHT_PATH}/${name}`, async ctx => ({ body: await fn(await objectBody(ctx)) }))
  }
  post('put', async b => await service.put(putRequest(b)))
  post('get', async b => await service.get(str(b, 'ref')))
  post('delete', async b => await service.delete(str(b, 'ref')))
}

/** The body of POST /v0/dht/put, checked field by field (the service trusts its types). */
function putRequest (b: Record<string, unknown>): DhtPutRequest {
  const optional = (k: string): string | undefined => b[k] == null ? undefined : str(b, k)
  const encoding = optional('encoding')
  if (encoding !== undefined && encoding !== 'utf8' && encoding !== 'base64') throw new Error('encoding must be "utf8" or "base64"')
  const salt = optional('salt')
  const handle = optional('handle')
  return {
    value: str(b, 'value'),
    kind: str(b, 'kind') as DhtPutRequest['kind'], // an unknown kind gets the service's own error
    ...(encoding !== undefined ? { encoding } : {}),
    ...(salt !== undefined ? { salt } : {}),
    ...(handle !== undefined ? { handle } : {})
  }
}
