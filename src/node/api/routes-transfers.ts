// /v0/transfers: the daemon's background fetches (transfers/transfers.ts).
import { parseReadCap } from '../../blocks/index.ts'
import type { TransferManager } from '../transfers/index.ts'
import { API_VERSION } from './protocol.ts'
import { clampInt, HttpError, objectBody, strs, type RouteTable } from './http.ts'

export function registerTransferRoutes (api: RouteTable, transfers: TransferManager): void {
  const v = `/${API_VERSION}`
  api.route('GET', `${v}/transfers`, async () => ({ body: { transfers: transfers.list() } }))
  api.route('POST', `${v}/transfers`, async ctx => {
    const b = await ctx.body() as { link?: unknown, output?: unknown, peers?: unknown, select?: unknown, overwrite?: unknown, merge?: unknown, encryptedParts?: unknown } | null
    if (typeof b?.link !== 'string' || typeof b.output !== 'string') throw new Error('body must be { link, output, peers?, select?, overwrite?, merge?, encryptedParts? }')
    if (!b.output.startsWith('/')) throw new Error('output must be an absolute path')
    const body = b as Record<string, unknown>
    const transfer = transfers.add({
      cap: parseReadCap(b.link), output: b.output, peers: strs(body, 'peers'), select: strs(body, 'select'), overwrite: b.overwrite === true, merge: b.merge === true, encryptedParts: b.encryptedParts === true,
      ...seedLimit(body, 'seedRatio'), ...seedLimit(body, 'seedTime')
    })
    return { status: 201, body: { transfer } }
  })
  api.route('GET', `${v}/transfers/:id`, async ({ params, query }) => {
    const cells = query.get('cells')
    const detail = transfers.detail(params.id!, cells != null ? clampInt(cells, 1, 100_000) : undefined)
    if (detail == null) throw new HttpError(404, `no transfer ${params.id!}`)
    return { body: { transfer: detail } }
  })
  api.route('POST', `${v}/transfers/:id/pause`, async ({ params }) => ({ body: { transfer: await transfers.pause(params.id!) } }))
  api.route('POST', `${v}/transfers/:id/resume`, async ({ params }) => ({ body: { transfer: await transfers.resume(params.id!) } }))
  api.route('DELETE', `${v}/transfers/:id`, async ({ params }) => { await transfers.cancel(params.id!); return { body: { id: params.id, cancelled: true } } })
  api.route('PUT', `${v}/transfers/:id/files`, async ctx => {
    const p = (await objectBody(ctx, '{ priorities: { "<path>": "skip" | "normal" } }')).priorities
    if (p == null || typeof p !== 'object' || Array.isArray(p) || !Object.values(p).every(x => typeof x === 'string')) throw new Error('body must be { priorities: { "<path>": "skip" | "normal" } }')
    return { body: { transfer: await transfers.setFilePriorities(ctx.params.id!, p as Record<string, string>) } }
  })
}

/** `seedRatio` (upload / size) or `seedTime` (seconds): a number ≥ 0 when given. */
function seedLimit (body: Record<string, unknown>, key: 'seedRatio' | 'seedTime'): Record<string, number> {
  const v = body[key]
  if (v == null) return {}
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${key} must be a number ≥ 0`)
  return { [key]: v }
}
