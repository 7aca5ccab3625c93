// /v0/dht/admin: the console's network commands. POST ping { target, count? }, POST lookup
// { nodeId }, POST connect { address } (network/dht-admin.ts). Answers are JSON; a ping of
// several samples takes a few seconds and is cancelled when the client goes away.
import type { DhtAdmin } from '../network/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, str, type RouteTable } from './http.ts'

export const DHT_ADMIN_PATH = `/${API_VERSION}/dht/admin`

export function registerDhtAdminRoutes (api: RouteTable, admin: DhtAdmin): void {
  api.route('POST', `${DHT_ADMIN_PATH}/ping`, async ctx => {
    const b = await objectBody(ctx)
    return { body: await admin.ping(str(b, 'target'), typeof b.count === 'number' ? b.count : 4, ctx.signal) }
  })
  api.route('POST', `${DHT_ADMIN_PATH}/lookup`, async ctx => ({ body: await admin.lookup(str(await objectBody(ctx), 'nodeId'), ctx.signal) }))
  api.route('POST', `${DHT_ADMIN_PATH}/connect`, async ctx => ({ body: await admin.connect(str(await objectBody(ctx), 'address'), ctx.signal) }))
}
