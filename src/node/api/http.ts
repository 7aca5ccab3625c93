// The plumbing every route shares: what a route is, its errors, JSON and NDJSON answers, and the
// checks of untrusted request bodies.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { ConfigError } from '../identity/index.ts'
import { NodeError } from '../errors.ts'
import { LinkError, SourceError } from '../../blocks/index.ts'
import { TransferNotFoundError, TransferStateError } from '../transfers/index.ts'
import type { ApiErrorBody } from './protocol.ts'

const MAX_BODY_BYTES = 1024 * 1024

export interface RouteContext {
  /** `:name` segments of the route's pattern. */
  params: Record<string, string>
  query: URLSearchParams
  body: () => Promise<unknown>
  /** Aborted when the client goes away before the answer is complete. */
  signal: AbortSignal
}

/** A JSON answer, or NDJSON: event lines while `ndjson` runs, then one result (or error) line. */
export type RouteResult =
  | { status?: number, body: unknown }
  | { ndjson: (send: (event: object) => void) => Promise<unknown> }

export type RouteHandler = (ctx: RouteContext) => Promise<RouteResult>

/** Where routes are added (api/server.ts); later routes win over earlier ones of the same path. */
export interface RouteTable {
  route: (method: string, path: string, handler: RouteHandler) => void
}

export class HttpError extends Error {
  readonly status: number
  constructor (status: number, message: string) { super(message); this.status = status }
}

export function statusOf (err: unknown): number {
  if (err instanceof HttpError) return err.status
  if (err instanceof TransferNotFoundError) return 404
  if (err instanceof TransferStateError) return 409
  if (err instanceof NodeError && err.code === 'share.notFound') return 404
  return 400
}

/** The error as the API sends it: its message, and its code and params when it has them. */
export function errorBody (err: unknown): ApiErrorBody {
  const e = err as Error
  if (err instanceof ConfigError || err instanceof NodeError || err instanceof LinkError || err instanceof SourceError) return { error: e.message, code: err.code, params: err.params }
  return { error: e?.message ?? String(err) }
}

export function sendJson (res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export async function readJson (req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large')
    parts.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'))
  } catch {
    throw new Error('request body is not JSON')
  }
}

/** NDJSON: events while `work` runs (at most every 100 ms for progress), then its result. */
export async function sendNdjson (res: ServerResponse, work: (send: (event: object) => void) => Promise<unknown>): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' })
  let lastProgress = 0
  const send = (event: object): void => {
    if ((event as { type?: string }).type === 'progress') {
      const now = performance.now()
      if (now - lastProgress < 100) return
      lastProgress = now
    }
    if (!res.destroyed) res.write(JSON.stringify(event) + '\n')
  }
  try {
    const value = await work(send)
    res.end(JSON.stringify({ type: 'result', value }) + '\n')
  } catch (err) {
    const { error, ...coded } = errorBody(err)
    res.end(JSON.stringify({ type: 'error', message: error, ...coded }) + '\n')
  }
}

/** The body as a JSON object, or a 400. */
export async function objectBody (ctx: RouteContext, shape = 'a JSON object'): Promise<Record<string, unknown>> {
  const v = await ctx.body()
  if (v == null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`request body must be ${shape}`)
  return v as Record<string, unknown>
}

export function str (b: Record<string, unknown>, k: string): string {
  const v = b[k]
  if (typeof v !== 'string') throw new Error(`${k} must be a string`)
  return v
}

export function strings (v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every(s => typeof s === 'string')) throw new Error(`${name} must be a list of strings`)
  return v as string[]
}

/** An optional list of strings: absent is empty. */
export const strs = (b: Record<string, unknown>, k: string): string[] => strings(b[k] ?? [], k)

export function clampInt (text: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${JSON.stringify(text)}`)
  return Math.max(min, Math.min(max, n))
}
