// /v0/pins: GET /v0/pins, /v0/pins/node, /v0/pins/grants, /v0/pins/requests?limit=,
// /v0/pins/audit; POST /v0/pins/pin|unpin|remote|allow|deny|sweep with a JSON object body.
// On the wire "never" is null (JSON has no Infinity). docs/PINNING.md.
import { parseCapability, verifyCapOf } from '../../blocks/index.ts'
import type { PinService } from '../pins/index.ts'
import { API_VERSION } from './protocol.ts'
import { objectBody, str, strs, type RouteTable } from './http.ts'

export const PINS_PATH = `/${API_VERSION}/pins`

export function registerPinRoutes (api: RouteTable, service: PinService): void {
  const post = (name: string, fn: (b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${PINS_PATH}/${name}`, async ctx => ({ body: await fn(await objectBody(ctx)) }))
  }
  api.route('GET', PINS_PATH, async () => ({ body: { pins: await service.list() } }))
  api.route('GET', `${PINS_PATH}/node`, async () => ({ body: { nodeId: await service.nodeId() } }))
  api.route('GET', `${PINS_PATH}/grants`, async () => ({ body: { grants: await service.grants() } }))
  api.route('GET', `${PINS_PATH}/requests`, async ({ query }) => ({ body: { requests: await service.requests(Number(query.get('limit') ?? 100)) } }))
  api.route('GET', `${PINS_PATH}/audit`, async () => ({ body: await service.audit() }))
  post('pin', async b => { const t = ttl(b, 'ttlMs'); return await service.pin(parseCapability(str(b, 'capability')), { ...(t !== undefined ? { ttlMs: t } : {}), peers: strs(b, 'peers') }) })
  post('unpin', async b => await service.unpin(str(b, 'capability')))
  post('remote', async b => await service.remotePin(str(b, 'address'), verifyCapOf(parseCapability(str(b, 'capability'))), { ttlMs: ttl(b, 'ttlMs') ?? null, peers: strs(b, 'peers'), cert: str(b, 'cert'), wait: b.wait !== false }))
  post('allow', async b => {
    const m = ttl(b, 'maxTtlMs')
    return await service.allow(str(b, 'account'), { ...(typeof b.quotaBytes === 'number' ? { quotaBytes: b.quotaBytes } : {}), ...(typeof b.maxPins === 'number' ? { maxPins: b.maxPins } : {}), ...(m !== undefined ? { maxTtlMs: m } : {}) })
  })
  post('deny', async b => ({ removed: await service.deny(str(b, 'account')) }))
  post('sweep', async () => await service.sweep())
}

function ttl (b: Record<string, unknown>, k: string): number | null | undefined {
  const v = b[k]
  if (v === undefined || v === null || (typeof v === 'number' && v > 0)) return v
  throw new Error(`${k} must be a positive number of ms, or null for never`)
}
