// The answer to each DHT request, one handler per request type. Handlers only read and write this
// node's routing table and record store; the records a peer stores are accounted to it by the
// node id its handshake proved (`peerHex`), and contacts are never returned to the peer that asks.
import type { Contact } from './contact.ts'
import type { Id } from './id.ts'
import { StoreRefusedError, type RecordStore } from './record-store.ts'
import { RecordError } from './records.ts'
import type { RoutingTable } from './routing-table.ts'
import type { Request, ResponseBody, ResponseFrame } from './wire.ts'

export interface HandlerContext {
  table: RoutingTable
  records: RecordStore
  /** How many contacts an answer carries (the config's k). */
  k: number
  now: number
  /** Hex node id of the peer that asks. */
  peerHex: string
}

function closestFor (ctx: HandlerContext, target: Id): Contact[] {
  return ctx.table.closest(target, ctx.k, hex => hex === ctx.peerHex)
}

export type StoreRequest = Extract<Request, { type: 'add-provider' | 'put-value' }>

/** Stores a record for `peerHex` (this node's own id when it keeps a replica of its own record); throws on refusal. */
export function storeRecord (records: RecordStore, request: StoreRequest, peerHex: string, now: number): void {
  if (request.type === 'add-provider') records.addProvider(request.record, peerHex, now)
  else records.putValue(request.record, peerHex, now)
}

function findNode (ctx: HandlerContext, target: Id): ResponseBody {
  return { nodes: closestFor(ctx, target) }
}

function getProviders (ctx: HandlerContext, topic: Id): ResponseBody {
  return { providers: ctx.records.getProviders(topic, ctx.now), nodes: closestFor(ctx, topic) }
}

function getValue (ctx: HandlerContext, key: Id): ResponseBody {
  const record = ctx.records.getValue(key, ctx.now)
  return record === null ? { nodes: closestFor(ctx, key) } : { record, nodes: closestFor(ctx, key) }
}

/** Stores the record; a refused or invalid one is answered with an error, not a broken session. */
function store (ctx: HandlerContext, request: StoreRequest, id: number): ResponseFrame {
  try {
    storeRecord(ctx.records, request, ctx.peerHex, ctx.now)
    return { id, ok: true, body: {}, dropped: 0 }
  } catch (err) {
    if (err instanceof RecordError) return { id, ok: false, error: 'invalid-record', message: `${err.code}: ${err.message}` }
    if (err instanceof StoreRefusedError) return { id, ok: false, error: 'refused', message: `${err.code}: ${err.message}` }
    throw err
  }
}

/** The answer to one request, by its type. */
export function answerRequest (ctx: HandlerContext, request: Request, id: number): ResponseFrame {
  const ok = (body: ResponseBody): ResponseFrame => ({ id, ok: true, body, dropped: 0 })
  switch (request.type) {
    case 'ping': return ok({})
    case 'find-node': return ok(findNode(ctx, request.target))
    case 'get-providers': return ok(getProviders(ctx, request.topic))
    case 'get-value': return ok(getValue(ctx, request.key))
    case 'add-provider':
    case 'put-value': return store(ctx, request, id)
  }
}
