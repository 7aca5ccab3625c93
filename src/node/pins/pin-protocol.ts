// Remote pinning over an oht stream with protocol `pin` (docs/PINNING.md "Remote pinning").
//
//   requester -> {type:"pin", v:1, cap, ttlMs, peers, cert}
//   pinner    -> {type:"refused", code, reason}                          (and closes)
//              | {type:"accepted", id, bytes, expiresAt}                 (recorded; blocks coming)
//                then {type:"done", id, expiresAt} | {type:"failed", reason}
//
// Frames are length-prefixed JSON (onion/framing.ts) capped at MAX_PIN_FRAME_BYTES. The oht
// handshake has proven the requester's node key; the delegation certificate proves that node
// acts for an account; the pinner serves only accounts it allowed (`oht pins allow`), within
// their quota and maximum lease. Every request and its outcome is logged (requestLog()).
import { randomBytes } from 'node:crypto'
import { FrameReader, writeFrame, type HandshakeResult } from '../../onion/index.ts'
import { parseCapability, verifyCapOf, type VerifyCap } from '../../blocks/index.ts'
import { checkAccountId, checkCert, parseCert, type CertProblem } from '../identity/accounts.ts'
import type { NodeNetwork } from '../network/network.ts'
import type { NodeState } from '../identity/state.ts'
import { PinError, type PinManager } from './pins.ts'

export const PIN_PROTOCOL = 'pin'
export const MAX_PIN_FRAME_BYTES = 16 * 1024
const REQUEST_TIMEOUT_MS = 30_000
const MAX_PEERS = 16
const MAX_LOG_ENTRIES = 1000
const LOG_TRIM_EVERY = 64
/** Default limits of `oht pins allow` when none are given. */
export const DEFAULT_QUOTA_BYTES = 10 * 2 ** 30
export const DEFAULT_MAX_TTL_MS = 90 * 86_400_000
export const DEFAULT_MAX_PINS = 1000
/**
 * Requests being weighed at once (read, certificate checked, manifest fetched, not yet recorded or
 * refused): per account, per requesting node, in all. A request costs a manifest fetch before any
 * quota applies, so an allowed account, or many nodes, cannot make this node fetch without end.
 */
export const MAX_PENDING_PIN_REQUESTS_PER_ACCOUNT = 4
export const MAX_PENDING_PIN_REQUESTS_PER_NODE = 4
export const MAX_PENDING_PIN_REQUESTS = 64

export type RefusalCode =
  | 'bad-request' | 'bad-certificate' | 'certificate-expired' | 'certificate-not-yet-valid' | 'wrong-node'
  | 'not-authorized' | 'ttl-too-long' | 'quota-exceeded' | 'too-many-pins' | 'busy' | 'unavailable'

export interface PinRequestMessage {
  type: 'pin'
  v: 1
  cap: string
  /** null = never (refused unless the account's maximum is never). */
  ttlMs: number | null
  peers: string[]
  cert: string
}

export type PinReply =
  | { type: 'refused', code: RefusalCode, reason: string }
  | { type: 'accepted', id: string, bytes: number, expiresAt: number | null }
  | { type: 'done', id: string, expiresAt: number | null }
  | { type: 'failed', reason: string }

/** An account this node pins for. */
export interface PinGrant {
  account: string
  quotaBytes: number
  /** null = no maximum (leases may be `never`). */
  maxTtlMs: number | null
  /** Pins the account may hold here at once (grants stored before it existed read as DEFAULT_MAX_PINS). */
  maxPins: number
  addedAt: number
}

export interface PinRequestRecord {
  at: number
  node: string
  account: string | null
  share: string | null
  ttlMs: number | null
  outcome: 'accepted' | 'refused' | 'done' | 'failed'
  code?: RefusalCode
  reason?: string
}

export class RemotePinRefused extends Error {
  override name = 'RemotePinRefused'
  readonly code: RefusalCode | 'failed'
  constructor (code: RefusalCode | 'failed', reason: string) {
    super(reason)
    this.code = code
  }
}

class Refusal extends Error {
  readonly code: RefusalCode
  constructor (code: RefusalCode, reason: string) {
    super(reason)
    this.code = code
  }
}

const CERT_REFUSALS: Record<CertProblem, [RefusalCode, string]> = {
  'bad-signature': ['bad-certificate', 'the delegation certificate\'s signature does not verify'],
  'wrong-node': ['wrong-node', 'the delegation certificate was issued to another node'],
  expired: ['certificate-expired', 'the delegation certificate has expired'],
  'not-yet-valid': ['certificate-not-yet-valid', 'the delegation certificate is not valid yet']
}

const withDefaults = (g: PinGrant): PinGrant => ({ ...g, maxPins: g.maxPins ?? DEFAULT_MAX_PINS })

/** What `oht pins allow` sets; each left out takes its default. */
export interface PinLimits { quotaBytes?: number, maxTtlMs?: number | null, maxPins?: number }

/** Requests being weighed (see MAX_PENDING_PIN_REQUESTS): counted per key, in memory. */
class PendingRequests {
  readonly #counts = new Map<string, number>()
  #total = 0
  get total (): number { return this.#total }
  of (key: string): number { return this.#counts.get(key) ?? 0 }
  /** Counts one request under `keys`; returns the function that uncounts it (once). */
  take (keys: readonly string[]): () => void {
    for (const k of keys) this.#counts.set(k, this.of(k) + 1)
    this.#total++
    let done = false
    return () => {
      if (done) return
      done = true
      this.#total--
      for (const k of keys) {
        const n = this.of(k) - 1
        if (n > 0) this.#counts.set(k, n)
        else this.#counts.delete(k)
      }
    }
  }
}

/** The accounts this node pins for, and the log of requests: both in the node's LevelDB. */
export class PinGrants {
  readonly grants
  readonly log
  constructor (state: NodeState) {
    this.grants = state.db.sublevel<string, PinGrant>('pin-grants', { valueEncoding: 'json' })
    this.log = state.db.sublevel<string, PinRequestRecord>('pin-requests', { valueEncoding: 'json' })
  }

  async allow (account: string, limits: PinLimits = {}): Promise<PinGrant> {
    const id = checkAccountId(account)
    const quotaBytes = limits.quotaBytes ?? DEFAULT_QUOTA_BYTES
    if (!Number.isSafeInteger(quotaBytes) || quotaBytes < 0) throw new PinError('pin.badQuota', {}, 'the quota must be a size, e.g. 10GiB')
    const maxPins = limits.maxPins ?? DEFAULT_MAX_PINS
    if (!Number.isSafeInteger(maxPins) || maxPins < 0) throw new PinError('pin.badMaxPins', {}, 'the pin limit must be a whole number, e.g. 1000')
    const maxTtlMs = limits.maxTtlMs === undefined ? DEFAULT_MAX_TTL_MS : limits.maxTtlMs === Infinity ? null : limits.maxTtlMs
    const grant: PinGrant = { account: id, quotaBytes, maxTtlMs, maxPins, addedAt: Date.now() }
    await this.grants.put(id, grant)
    return grant
  }

  async deny (account: string): Promise<boolean> {
    const id = checkAccountId(account)
    const had = await this.grants.get(id) != null
    await this.grants.del(id)
    return had
  }

  async list (): Promise<PinGrant[]> { return (await this.grants.values().all()).map(withDefaults) }
  async get (account: string): Promise<PinGrant | undefined> {
    const g = await this.grants.get(account)
    return g != null ? withDefaults(g) : undefined
  }

  /** Records since the log was last trimmed; the first record after a start trims. */
  #sinceTrim = LOG_TRIM_EVERY

  async record (r: PinRequestRecord): Promise<void> {
    // Time-ordered keys with a random tail (two requests in one ms); the oldest are trimmed, every
    // LOG_TRIM_EVERY records: a count of the log on each request let anyone who opens pin streams
    // make this node read a thousand keys per request.
    await this.log.put(`${String(r.at).padStart(16, '0')}-${randomBytes(4).toString('hex')}`, r)
    if (++this.#sinceTrim < LOG_TRIM_EVERY) return
    this.#sinceTrim = 0
    let excess = 0
    for await (const _ of this.log.keys({ reverse: true, gte: '', limit: MAX_LOG_ENTRIES + 2 * LOG_TRIM_EVERY })) excess++
    if (excess > MAX_LOG_ENTRIES) {
      const old = await this.log.keys({ limit: excess - MAX_LOG_ENTRIES }).all()
      await this.log.batch(old.map(key => ({ type: 'del' as const, key })))
    }
  }

  /** The latest requests, newest first: what the API shows. */
  async requests (limit = 100): Promise<PinRequestRecord[]> {
    return await this.log.values({ reverse: true, limit: Math.max(1, Math.min(limit, MAX_LOG_ENTRIES)) }).all()
  }
}

/** Validates an untrusted request; every field is checked for type and size. */
export function parsePinRequest (frame: Buffer): PinRequestMessage {
  let m: Partial<PinRequestMessage>
  try {
    m = JSON.parse(frame.toString('utf8')) as Partial<PinRequestMessage>
  } catch {
    throw new Refusal('bad-request', 'the request is not JSON')
  }
  if (m?.type !== 'pin' || m.v !== 1) throw new Refusal('bad-request', 'unknown request (expected a pin request, version 1)')
  if (typeof m.cap !== 'string' || m.cap.length > 512) throw new Refusal('bad-request', 'the request has no capability')
  if (m.ttlMs !== null && !(typeof m.ttlMs === 'number' && Number.isSafeInteger(m.ttlMs) && m.ttlMs > 0)) throw new Refusal('bad-request', 'the lease must be a positive number of ms or null (never)')
  if (!Array.isArray(m.peers) || m.peers.length > MAX_PEERS || !m.peers.every(p => typeof p === 'string' && p.length <= 256)) throw new Refusal('bad-request', `peers must be at most ${MAX_PEERS} addresses`)
  if (typeof m.cert !== 'string') throw new Refusal('bad-request', 'the request carries no delegation certificate')
  return m as PinRequestMessage
}

export interface PinServerOptions {
  pins: PinManager
  grants: PinGrants
  formatBytes?: (n: number) => string
  formatDuration?: (ms: number) => string
}

/** Registers the `pin` protocol on the network: call before `network.listen()`. */
export function registerPinProtocol (network: NodeNetwork, options: PinServerOptions): void {
  const pending = new PendingRequests()
  network.registerProtocol(PIN_PROTOCOL, session => { void servePinStream(session, options, pending) })
}

async function servePinStream (session: HandshakeResult, o: PinServerOptions, pending: PendingRequests): Promise<void> {
  const stream = session.stream
  stream.on('error', () => {})
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_PIN_FRAME_BYTES })
  const send = async (reply: PinReply): Promise<void> => {
    if (!stream.destroyed && !stream.writableEnded) await writeFrame(stream, Buffer.from(JSON.stringify(reply)), { maxFrameBytes: MAX_PIN_FRAME_BYTES }).catch(() => {})
  }
  const log: PinRequestRecord = { at: Date.now(), node: session.remoteNodeId, account: null, share: null, ttlMs: null, outcome: 'refused' }
  const timer = setTimeout(() => { stream.destroy() }, REQUEST_TIMEOUT_MS)
  let release = (): void => {}
  try {
    const node = `node:${session.remoteNodeId}`
    if (pending.total >= MAX_PENDING_PIN_REQUESTS || pending.of(node) >= MAX_PENDING_PIN_REQUESTS_PER_NODE) {
      throw new Refusal('busy', `this node is weighing ${pending.total >= MAX_PENDING_PIN_REQUESTS ? `${MAX_PENDING_PIN_REQUESTS} pin requests` : `${MAX_PENDING_PIN_REQUESTS_PER_NODE} pin requests of your node`} already; ask again when they are answered`)
    }
    release = pending.take([node])
    let frame: Buffer | null
    try {
      frame = await reader.next()
    } catch (err) {
      throw new Refusal('bad-request', `unreadable request: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
    if (frame == null) return
    const req = parsePinRequest(frame)
    log.ttlMs = req.ttlMs
    // The capability is parsed once, here at the edge; a read link is narrowed to its verify part.
    let vcap: VerifyCap
    try { vcap = verifyCapOf(parseCapability(req.cap)) } catch { throw new Refusal('bad-request', 'the capability is not an oht link or verify capability') }
    log.share = vcap.manifestCid.toString()
    let cert
    try { cert = parseCert(req.cert) } catch (err) { throw new Refusal('bad-certificate', (err as Error).message) }
    log.account = cert.account
    const problem = checkCert(cert, session.remoteNodeId)
    if (problem != null) {
      const [code, reason] = CERT_REFUSALS[problem]
      throw new Refusal(code, problem === 'expired' ? `${reason} (at ${new Date(cert.expiresAt).toISOString()})` : reason)
    }
    const grant = await o.grants.get(cert.account)
    if (grant == null) throw new Refusal('not-authorized', `account ${cert.account} is not allowed to pin on this node`)
    const account = `account:${cert.account}`
    if (pending.of(account) >= MAX_PENDING_PIN_REQUESTS_PER_ACCOUNT) {
      throw new Refusal('busy', `this node is weighing ${MAX_PENDING_PIN_REQUESTS_PER_ACCOUNT} pin requests of your account already; ask again when they are answered`)
    }
    release()
    release = pending.take([node, account])
    const maxPins = grant.maxPins
    if (grant.maxTtlMs != null && (req.ttlMs == null || req.ttlMs > grant.maxTtlMs)) {
      throw new Refusal('ttl-too-long', `the lease asked for (${req.ttlMs == null ? 'never' : fmtDuration(req.ttlMs, o)}) is longer than this node allows your account (${fmtDuration(grant.maxTtlMs, o)})`)
    }
    const fb = o.formatBytes ?? iecBytes
    const pin = o.pins.pin(vcap, {
      holder: cert.account,
      ttlMs: req.ttlMs ?? Infinity,
      peers: req.peers,
      admit: async bytes => {
        const { bytes: used, pins } = await o.pins.store.holdings(cert.account, log.share!)
        if (pins + 1 > maxPins) {
          throw new Refusal('too-many-pins', `pin limit reached: your account holds ${pins} pins on this node, which allows it ${maxPins}`)
        }
        if (used + bytes > grant.quotaBytes) {
          throw new Refusal('quota-exceeded', `quota exceeded: this pin needs ${fb(bytes)} (${bytes} bytes); your account uses ${fb(used)} (${used} bytes) of its ${fb(grant.quotaBytes)} (${grant.quotaBytes} bytes) quota on this node`)
        }
      },
      onRecorded: info => {
        release()
        void send({ type: 'accepted', id: info.id, bytes: info.bytes, expiresAt: info.expiresAt })
        void o.grants.record({ ...log, at: Date.now(), outcome: 'accepted' }).catch(() => {})
      }
    })
    try {
      const info = await pin
      release() // before the answer: a requester that asks again at once is not told "busy"
      await send({ type: 'done', id: info.id, expiresAt: info.expiresAt })
      await o.grants.record({ ...log, at: Date.now(), outcome: 'done' })
    } catch (err) {
      if (err instanceof Refusal) throw err
      release()
      await send({ type: 'failed', reason: (err as Error).message })
      await o.grants.record({ ...log, at: Date.now(), outcome: 'failed', reason: (err as Error).message })
    }
  } catch (err) {
    const refusal = err instanceof Refusal ? err : new Refusal('unavailable', (err as Error).message)
    release()
    await send({ type: 'refused', code: refusal.code, reason: refusal.message })
    await o.grants.record({ ...log, at: Date.now(), outcome: 'refused', code: refusal.code, reason: refusal.message }).catch(() => {})
  } finally {
    release()
    reader.release()
    stream.end()
  }
}

/** 3000380 -> "2.86 MiB": refusals state sizes as people read them (and the exact bytes). */
export function iecBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(2)} ${units[u]}`
}

function fmtDuration (ms: number, o: PinServerOptions): string {
  if (o.formatDuration != null) return o.formatDuration(ms)
  const d = ms / 86_400_000
  return d >= 1 ? `${+d.toFixed(2)}d` : `${+(ms / 1000).toFixed(1)}s`
}

export interface RemotePinResult {
  id: string
  bytes: number
  expiresAt: number | null
  /** False when the pinner recorded the pin but the caller did not wait for its blocks. */
  complete: boolean
}

/**
 * Asks the node at `address` to pin a share for the account of `cert` (which must name this
 * node). Resolves when the pinner holds every block (or once accepted, with wait: false);
 * rejects with RemotePinRefused carrying the pinner's reason.
 */
export async function requestRemotePin (network: NodeNetwork, address: string, request: Omit<PinRequestMessage, 'type' | 'v'>, options: { wait?: boolean, signal?: AbortSignal } = {}): Promise<RemotePinResult> {
  const session = await network.dialProtocol(address, PIN_PROTOCOL, options.signal != null ? { signal: options.signal } : {})
  const stream = session.stream
  stream.on('error', () => {})
  const reader = new FrameReader(stream, { maxFrameBytes: MAX_PIN_FRAME_BYTES })
  try {
    const message: PinRequestMessage = { type: 'pin', v: 1, ...request }
    await writeFrame(stream, Buffer.from(JSON.stringify(message)), { maxFrameBytes: MAX_PIN_FRAME_BYTES })
    let accepted: { id: string, bytes: number, expiresAt: number | null } | undefined
    while (true) {
      const frame = await reader.next()
      if (frame == null) {
        if (accepted != null) throw new RemotePinRefused('failed', 'the pinning node closed the stream before the pin was complete (it keeps fetching)')
        throw new RemotePinRefused('failed', 'the pinning node closed the stream without an answer')
      }
      let reply: PinReply
      try { reply = JSON.parse(frame.toString('utf8')) as PinReply } catch { throw new RemotePinRefused('failed', 'the pinning node sent an unreadable answer') }
      if (reply.type === 'refused') throw new RemotePinRefused(reply.code, String(reply.reason))
      if (reply.type === 'failed') throw new RemotePinRefused('failed', `the pinning node could not fetch the share: ${String(reply.reason)}`)
      if (reply.type === 'accepted') {
        accepted = { id: String(reply.id), bytes: Number(reply.bytes), expiresAt: reply.expiresAt ?? null }
        if (options.wait === false) return { ...accepted, complete: false }
      }
      if (reply.type === 'done') return { id: String(reply.id), bytes: accepted?.bytes ?? 0, expiresAt: reply.expiresAt ?? null, complete: true }
    }
  } finally {
    reader.release()
    stream.destroy()
  }
}
