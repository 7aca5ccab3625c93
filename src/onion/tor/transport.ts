// The Tor transport: listens as a v3 onion service published with ADD_ONION (its key kept in a
// file, so the address survives restarts) on a local socket bound to 127.0.0.1 only, and dials
// .onion addresses through Tor's SOCKS5 port. It never resolves a name, never dials anything but
// an onion, and opens no socket except to tor (SOCKS, control) and its own loopback listener.
import { randomBytes } from 'node:crypto'
import createDebug from 'debug'
import { createServer, type AddressInfo, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { formatAddress, parseAddressFor } from '../address.ts'
import { dialWithDeadline } from '../deadline.ts'
import { AddressError, DialError, ListenError, type ConnectionHandler, type DialOptions, type Transport } from '../transport.ts'
import { TorControlError } from './control.ts'
import type { Reply } from './reply.ts'
import type { BootstrapProgress } from './events.ts'
import { attachTor, startTor, type TorInstance } from './process.ts'
import type { TorTransportEvent, TorTransportOptions } from './transport-options.ts'
import { mayRetryDial, socksConnect, SocksDialError, SOCKS_REPLY_INTRODUCTION_FAILED } from './socks.ts'
import { OnionStream } from './stream.ts'
import { sniffHttp, type HttpSocketHandler } from '../sniff.ts'
import { KEY_BLOB, loadKey, saveKey } from './key-file.ts'
import {
  TOR_BOOTSTRAP_TIMEOUT_MS, TOR_DEFAULT_VIRTUAL_PORT, TOR_DIAL_OFFLINE_RETRIES, TOR_DIAL_RETRY_BASE_MS, TOR_DIAL_RETRY_MAX_MS,
  TOR_DIAL_TIMEOUT_MS, TOR_PUBLISH_TIMEOUT_MS
} from './constants.ts'

/** DEBUG=oht:tor: bootstrap progress, publication, dial retries, a lost control connection. */
const logTor = createDebug('oht:tor')

export type { TorSource, TorTransportEvent, TorTransportOptions } from './transport-options.ts'

export class TorTransport implements Transport {
  readonly kind = 'tor'
  readonly separateLanes = true
  readonly anonymous = true
  readonly #options: TorTransportOptions
  readonly #streams = new Set<Duplex>()
  /** Per-transport secret mixed into SOCKS credentials, so two oht nodes on one tor never share circuits. */
  readonly #isolationSecret = randomBytes(16).toString('hex')
  #tor: Promise<TorInstance> | null = null
  /** Set as soon as tor runs (before bootstrap), so close() can stop a tor that is still bootstrapping. */
  #instance: TorInstance | null = null
  #server: Server | null = null
  #serviceId: string | null = null
  /** The service id newAddress() is publishing, until it replaces #serviceId (close() removes it). */
  #renewing: string | null = null
  #renewBusy = false
  #localPort: number | null = null
  /** Extra onion services on this listener (a network's shared address): service id → key. */
  readonly #aliases = new Map<string, string>()
  /** Service ids of publishPrivateService (removed with the transport). */
  readonly #privateServices = new Set<string>()
  #listening = false
  #http: HttpSocketHandler | null = null
  #closed = false
  #closing: Promise<void> | null = null
  #bootstrap: { progress: number, summary: string } | null = null

  constructor (options: TorTransportOptions) {
    this.#options = options
    const port = options.virtualPort ?? TOR_DEFAULT_VIRTUAL_PORT
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`virtual port must be 1–65535, got ${port}`)
  }

  /**
   * Starts (or attaches to) tor and waits for its bootstrap; listen() and dial() call it
   * themselves, but a UI may call it first to show progress. Idempotent.
   */
  async start (): Promise<TorInstance> {
    if (this.#closed) throw new TorControlError('start', 0, 'the Tor transport is closed')
    // A failed start is forgotten, so a later call may try again (tor installed meanwhile, a
    // shared tor restarted...).
    this.#tor ??= this.#start().catch((err: unknown) => { this.#tor = null; this.#instance = null; throw err })
    return await this.#tor
  }

  async #start (): Promise<TorInstance> {
    const source = this.#options.tor
    const tor = source.kind === 'own' ? await startTor(source) : await attachTor(source)
    this.#instance = tor
    try {
      if (this.#closed) throw new TorControlError('start', 0, 'the Tor transport was closed while starting')
      tor.control.onClose(err => {
        if (!this.#closed) this.#emit({ type: 'tor-lost', reason: err?.message ?? 'the tor control connection closed' })
      })
      await tor.waitForBootstrap({
        timeoutMs: this.#options.bootstrapTimeoutMs ?? TOR_BOOTSTRAP_TIMEOUT_MS,
        onProgress: (p: BootstrapProgress) => { this.#emit({ type: 'bootstrap', ...p }) }
      })
      await tor.control.addEvents('HS_DESC')
      return tor
    } catch (err) {
      await tor.close()
      throw err
    }
  }

  /** `--public-fetch`: HTTP requests on the node's onion service go to `handler` (../sniff.ts). */
  serveHttp (handler: HttpSocketHandler | null): void { this.#http = handler }

  /** Publishes the onion service and resolves to `onion:<name>.onion:<port>` once its descriptor is uploaded. */
  async listen (handler: ConnectionHandler): Promise<string> {
    if (this.#closed) throw new ListenError('the Tor transport is closed')
    if (this.#listening) throw new ListenError('the Tor transport is already listening')
    this.#listening = true
    let tor: TorInstance
    try {
      tor = await this.start()
    } catch (err) {
      this.#listening = false
      throw new ListenError(`cannot start tor: ${(err as Error).message}`, { cause: err })
    }
    const server = createServer({ allowHalfOpen: false, noDelay: true })
    this.#server = server
    server.on('connection', socket => {
      if (this.#closed) { socket.destroy(); return }
      socket.setNoDelay(true)
      // An onion service never learns who dialed it.
      const accept = (s: typeof socket): void => { handler(this.#adopt(new OnionStream(s)), { remote: 'onion:unknown' }) }
      const http = this.#http
      if (http == null) accept(socket)
      else { socket.on('error', () => {}); sniffHttp(socket, http, accept) }
    })
    server.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      // Loopback only: tor is the only legitimate client of this socket.
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => { server.off('error', reject); resolve() })
    })
    const localPort = (server.address() as AddressInfo).port
    this.#localPort = localPort
    const virtualPort = this.#options.virtualPort ?? TOR_DEFAULT_VIRTUAL_PORT

    // Subscribe before ADD_ONION: uploads start about a second later, but must never be missed.
    const uploads = new Map<string, { uploaded: number, failed: number, reasons: Set<string> }>()
    const uploaded = Promise.withResolvers<void>()
    let serviceId: string | null = null
    const off = tor.control.onEvent(event => {
      if (event.type !== 'HS_DESC') return
      const entry = uploads.get(event.address) ?? { uploaded: 0, failed: 0, reasons: new Set<string>() }
      uploads.set(event.address, entry)
      if (event.action === 'UPLOADED') entry.uploaded++
      if (event.action === 'FAILED') { entry.failed++; if (event.reason !== undefined) entry.reasons.add(event.reason) }
      if (serviceId !== null && event.address === serviceId && entry.uploaded > 0) uploaded.resolve()
    })
    const offClose = tor.control.onClose(err => { uploaded.reject(err ?? new Error('the tor control connection closed')) })
    const publishTimeoutMs = this.#options.publishTimeoutMs ?? TOR_PUBLISH_TIMEOUT_MS
    let timer: NodeJS.Timeout | undefined
    try {
      const stored = this.#options.keyFile === undefined ? null : await loadKey(this.#options.keyFile, this.#options.keySealer)
      const flags = this.#serviceFlags(tor)
      const addOnion = async (): Promise<Reply> => await tor.control.command([
        'ADD_ONION',
        stored?.key ?? 'NEW:ED25519-V3',
        ...(flags.length > 0 ? [`Flags=${flags.join(',')}`] : []),
        `Port=${virtualPort},127.0.0.1:${localPort}`
      ].join(' '))
      let reply: Reply
      try {
        reply = await addOnion()
      } catch (err) {
        // A detached service of ours that a crash left behind on a shared tor: tor refuses the
        // same key twice ("550 Onion address collision"), so remove the leftover and publish anew.
        if (!(err instanceof TorControlError && err.code === 550 && /collision/i.test(err.text) && stored?.serviceId != null)) throw err
        await tor.control.command(`DEL_ONION ${stored.serviceId}`)
        reply = await addOnion()
      }
      let newKey: string | null = null
      for (const line of reply.lines) {
        if (line.text.startsWith('ServiceID=')) serviceId = line.text.slice('ServiceID='.length)
        if (line.text.startsWith('PrivateKey=')) newKey = line.text.slice('PrivateKey='.length)
      }
      if (serviceId === null || !/^[a-z2-7]{56}$/.test(serviceId)) throw new ListenError(`tor answered ADD_ONION without a v3 ServiceID`)
      this.#serviceId = serviceId
      if (newKey !== null && this.#options.keyFile !== undefined) await saveKey(this.#options.keyFile, newKey, serviceId, this.#options.keySealer)
      if ((uploads.get(serviceId)?.uploaded ?? 0) > 0) uploaded.resolve()
      timer = setTimeout(() => {
        const seen = uploads.get(serviceId!)
        const why = seen === undefined ? 'no upload attempt seen' : `${seen.failed} uploads failed${seen.reasons.size > 0 ? ` (${[...seen.reasons].join(', ')})` : ''}`
        uploaded.reject(new ListenError(`the onion service descriptor was not uploaded within ${publishTimeoutMs} ms: ${why}`))
      }, publishTimeoutMs)
      await uploaded.promise
      const address = formatAddress({ transport: 'tor', host: `${serviceId}.onion`, port: virtualPort })
      this.#emit({ type: 'published', address, uploads: uploads.get(serviceId)?.uploaded ?? 0 })
      if (this.#closed) throw new ListenError('the Tor transport was closed while publishing')
      return address
    } catch (err) {
      await this.#unpublish(tor)
      server.close()
      this.#server = null
      this.#listening = false
      if (err instanceof ListenError) throw err
      throw new ListenError(`cannot publish the onion service: ${(err as Error).message}`, { cause: err })
    } finally {
      clearTimeout(timer)
      off()
      offClose()
    }
  }

  /**
   * Publishes this transport's listener under another onion key too (a network's shared
   * address, see src/onion/network-key.ts) and resolves to that address once its descriptor is
   * uploaded. Calling it again with the same key re-publishes: DEL_ONION and ADD_ONION upload a
   * fresh descriptor, which makes this host the one new clients reach (directories keep only the
   * newest descriptor of an address).
   */
  async publishAlias (keyBlob: string): Promise<string> {
    if (!KEY_BLOB.test(keyBlob)) throw new ListenError('an alias key must be ED25519-V3:<base64 of 64 bytes>')
    if (this.#closed || this.#localPort === null) throw new ListenError('listen() must succeed before an alias is published')
    const tor = await this.start()
    for (const [id, blob] of this.#aliases) {
      if (blob !== keyBlob) continue
      this.#aliases.delete(id)
      await tor.control.command(`DEL_ONION ${id}`).catch(() => {})
    }
    const virtualPort = this.#options.virtualPort ?? TOR_DEFAULT_VIRTUAL_PORT
    // Never detached, even on a shared tor: the alias then dies with our control connection,
    // however this process ends. A detached alias outliving a crashed host would keep the
    // network's shared address pointing at a dead listener, and tor would even re-upload its
    // descriptor at each time period, taking clients away from the live hosts.
    const serviceId = await this.#addOnion(tor, [keyBlob, `Port=${virtualPort},127.0.0.1:${this.#localPort}`], 'alias ', id => { this.#aliases.set(id, keyBlob) })
    return formatAddress({ transport: 'tor', host: `${serviceId}.onion`, port: virtualPort })
  }

  /**
   * Publishes a local loopback port (not the node's listener) as a fresh onion service that only
   * clients holding the private half of `clientAuthV3` (an x25519 public key, base32) can reach:
   * Tor v3 client authorization (the web UI over Tor). Resolves to the service id once its
   * descriptor is uploaded. Never detached: it dies with our control connection.
   */
  async publishPrivateService (localPort: number, clientAuthV3: string, virtualPort = 80): Promise<{ serviceId: string, remove: () => Promise<void> }> {
    if (!/^[a-z2-7]{52}$/i.test(clientAuthV3)) throw new ListenError('a client authorization key must be 52 base32 characters')
    return await this.publishLocalService(localPort, virtualPort, ['Flags=DiscardPK,V3Auth', `ClientAuthV3=${clientAuthV3}`])
  }

  /**
   * Publishes a local loopback port as a fresh onion service of a throwaway key (an invite's
   * endpoint, src/people/invite): anyone with the address reaches it until `remove()`. `extra`
   * replaces the default `Flags=DiscardPK` (publishPrivateService adds client authorization).
   */
  async publishLocalService (localPort: number, virtualPort: number, extra: string[] = ['Flags=DiscardPK']): Promise<{ serviceId: string, remove: () => Promise<void> }> {
    if (this.#closed) throw new ListenError('the Tor transport is closed')
    const tor = await this.start()
    const id = await this.#addOnion(tor, ['NEW:ED25519-V3', ...extra.filter(a => a.startsWith('Flags=')), `Port=${virtualPort},127.0.0.1:${localPort}`, ...extra.filter(a => !a.startsWith('Flags='))], '', serviceId => { this.#privateServices.add(serviceId) })
    return {
      serviceId: id,
      remove: async () => {
        if (!this.#privateServices.delete(id) || tor.control.closed) return
        await tor.control.command(`DEL_ONION ${id}`).catch(() => {})
      }
    }
  }

  /**
   * ADD_ONION with `args`; resolves to the v3 service id once tor reports its descriptor
   * uploaded. `record` keeps the id (and the key, unless discarded) before the wait, so a close()
   * meanwhile removes the service.
   */
  async #addOnion (tor: TorInstance, args: string[], what: string, record: (serviceId: string, privateKey: string | null) => void): Promise<string> {
    const publishTimeoutMs = this.#options.publishTimeoutMs ?? TOR_PUBLISH_TIMEOUT_MS
    const uploaded = Promise.withResolvers<void>()
    let serviceId: string | null = null
    const uploads = new Set<string>()
    const off = tor.control.onEvent(event => {
      if (event.type !== 'HS_DESC' || event.action !== 'UPLOADED') return
      uploads.add(event.address)
      if (event.address === serviceId) uploaded.resolve()
    })
    const timer = setTimeout(() => { uploaded.reject(new ListenError(`the ${what}descriptor was not uploaded within ${publishTimeoutMs} ms`)) }, publishTimeoutMs)
    try {
      await tor.control.addEvents('HS_DESC')
      const reply = await tor.control.command(['ADD_ONION', ...args].join(' '))
      let privateKey: string | null = null
      for (const line of reply.lines) {
        if (line.text.startsWith('ServiceID=')) serviceId = line.text.slice('ServiceID='.length)
        if (line.text.startsWith('PrivateKey=')) privateKey = line.text.slice('PrivateKey='.length)
      }
      if (serviceId === null || !/^[a-z2-7]{56}$/.test(serviceId)) throw new ListenError('tor answered ADD_ONION without a v3 ServiceID')
      record(serviceId, privateKey)
      if (uploads.has(serviceId)) uploaded.resolve()
      await uploaded.promise
      return serviceId
    } finally {
      clearTimeout(timer)
      off()
    }
  }

  /** Flags of the node's own service: Detach on a shared tor (unless told), DiscardPK for --memory. */
  #serviceFlags (tor: TorInstance): string[] {
    const detach = this.#options.detach ?? !tor.owned
    return [...(detach ? ['Detach'] : []), ...(this.#options.discardKey === true && this.#options.keyFile === undefined ? ['DiscardPK'] : [])]
  }

  /**
   * A new onion address for the listener (`/newonions`): a new service key is published on the
   * same local socket, saved over the key file (the old key is gone, a restart keeps the new
   * address), and only then is the old service removed (DEL_ONION), so the old address stops
   * answering and the node is never unreachable in between. Resolves to the new address once
   * its descriptor is uploaded; on failure the old address stays.
   */
  async newAddress (): Promise<string> {
    if (this.#closed) throw new ListenError('the Tor transport is closed')
    const old = this.#serviceId
    const localPort = this.#localPort
    if (old === null || localPort === null) throw new ListenError('the node has no onion service yet (it is not listening)')
    if (this.#renewBusy) throw new ListenError('a new onion address is already being published')
    this.#renewBusy = true
    let tor: TorInstance | null = null
    const made: { key: string | null } = { key: null }
    try {
      tor = await this.start()
      const virtualPort = this.#options.virtualPort ?? TOR_DEFAULT_VIRTUAL_PORT
      const flags = this.#serviceFlags(tor)
      const id = await this.#addOnion(tor, ['NEW:ED25519-V3', ...(flags.length > 0 ? [`Flags=${flags.join(',')}`] : []), `Port=${virtualPort},127.0.0.1:${localPort}`], 'new ', (serviceId, privateKey) => {
        this.#renewing = serviceId
        made.key = privateKey
      })
      if (this.#closed) throw new ListenError('the Tor transport was closed while publishing')
      const keyFile = this.#options.keyFile
      if (keyFile !== undefined) {
        if (made.key === null) throw new ListenError('tor did not return the new onion service key')
        await saveKey(keyFile, made.key, id, this.#options.keySealer)
      }
      this.#renewing = null
      this.#serviceId = id
      if (!tor.control.closed) await tor.control.command(`DEL_ONION ${old}`).catch(() => {})
      const address = formatAddress({ transport: 'tor', host: `${id}.onion`, port: virtualPort })
      this.#emit({ type: 'published', address, uploads: 1 })
      return address
    } catch (err) {
      const id = this.#renewing
      this.#renewing = null
      if (id !== null && tor !== null && !tor.control.closed) await tor.control.command(`DEL_ONION ${id}`).catch(() => {})
      throw err
    } finally {
      this.#renewBusy = false
    }
  }

  async dial (address: string, options: DialOptions = {}): Promise<Duplex> {
    if (this.#closed) throw new DialError(address, 'closed', 'the Tor transport is closed')
    let target
    try {
      target = parseAddressFor('tor', address)
    } catch (err) {
      if (err instanceof AddressError) throw new AddressError(address, `${err.message} (the Tor transport dials .onion addresses only)`)
      throw err
    }
    const timeoutMs = options.timeoutMs ?? this.#options.dialTimeoutMs ?? TOR_DIAL_TIMEOUT_MS
    const deadline = Date.now() + timeoutMs
    return await dialWithDeadline(address, options, timeoutMs, async signal => {
      let tor: TorInstance
      try {
        tor = await this.start()
      } catch (err) {
        if (this.#closed) throw new DialError(address, 'closed', 'the Tor transport is closed', { cause: err })
        throw new DialError(address, 'failed', `tor is not available: ${(err as Error).message}`, { cause: err })
      }
      if (this.#closed) throw new DialError(address, 'closed', 'the Tor transport is closed')
      const proxy = tor.socks
      if (proxy === null) throw new DialError(address, 'failed', 'tor has no SOCKS listener on 127.0.0.1 (is its network disabled?)')
      let offlineAnswers = 0
      for (let attempt = 1; ; attempt++) {
        try {
          const socket = await socksConnect(address, {
            proxy,
            host: target.host,
            port: target.port,
            // One circuit per peer and lane (tor's IsolateSOCKSAuth), and per oht node sharing this tor.
            isolation: { username: `oht-${this.#isolationSecret}`, password: circuitKey(target.host, options.lane) }
          }, signal)
          if (this.#closed) { socket.destroy(); throw new DialError(address, 'closed', 'the Tor transport was closed while dialing') }
          return this.#adopt(new OnionStream(socket))
        } catch (err) {
          if (err instanceof SocksDialError && err.reply === SOCKS_REPLY_INTRODUCTION_FAILED) offlineAnswers++
          if (!mayRetryDial(err, offlineAnswers, TOR_DIAL_OFFLINE_RETRIES) || signal.aborted) throw err
          const delayMs = Math.min(TOR_DIAL_RETRY_MAX_MS, TOR_DIAL_RETRY_BASE_MS * 2 ** (attempt - 1)) * (0.75 + Math.random() / 2)
          // No time left for another try: report what tor said rather than a bare timeout.
          if (Date.now() + delayMs >= deadline) throw err
          this.#emit({ type: 'dial-retry', address, attempt, delayMs: Math.round(delayMs), reason: err.message })
          await sleep(delayMs, signal)
        }
      }
    }, stream => { stream.destroy() })
  }

  async close (): Promise<void> {
    this.#closing ??= this.#shutdown()
    await this.#closing
  }

  async #shutdown (): Promise<void> {
    this.#closed = true
    const streams = [...this.#streams]
    for (const stream of streams) stream.destroy()
    const server = this.#server
    const serverClosed = server === null ? undefined : new Promise<void>(resolve => { server.close(() => { resolve() }) })
    // Closing the instance first also cuts short a bootstrap that start() may still await.
    const tor = this.#instance ?? await this.#tor?.catch(() => null)
    if (tor != null) {
      await this.#unpublish(tor)
      await tor.close()
    }
    await Promise.all([serverClosed, ...streams.map(closed)])
  }

  /** DEL_ONION: the service stops answering at once (its descriptor lingers on the HSDirs, unusable). */
  async #unpublish (tor: TorInstance): Promise<void> {
    for (const id of [...this.#privateServices]) {
      this.#privateServices.delete(id)
      if (!tor.control.closed) await tor.control.command(`DEL_ONION ${id}`).catch(() => {})
    }
    for (const alias of [...this.#aliases.keys()]) {
      this.#aliases.delete(alias)
      if (!tor.control.closed) await tor.control.command(`DEL_ONION ${alias}`).catch(() => {})
    }
    const renewing = this.#renewing
    this.#renewing = null
    if (renewing !== null && !tor.control.closed) await tor.control.command(`DEL_ONION ${renewing}`).catch(() => {})
    const id = this.#serviceId
    this.#serviceId = null
    if (id === null || tor.control.closed) return
    await tor.control.command(`DEL_ONION ${id}`).catch(() => {})
  }

  #adopt (stream: OnionStream): OnionStream {
    this.#streams.add(stream)
    // A peer that resets must never crash the node; consumers still get 'error' if they listen.
    stream.on('error', () => {})
    stream.once('close', () => { this.#streams.delete(stream) })
    return stream
  }

  /** SIGNAL NEWNYM: new circuits for new streams (tor rate-limits it itself, to about one per 10 s). */
  async newCircuits (): Promise<void> {
    const tor = await this.start()
    await tor.control.command('SIGNAL NEWNYM')
  }

  /** Whether oht started this tor (true) or attached to a running one (false); null before tor runs. */
  get ownsTor (): boolean | null { return this.#instance?.owned ?? null }

  /** The last bootstrap progress tor reported (null before tor runs), for status displays. */
  get bootstrapState (): { progress: number, summary: string } | null { return this.#bootstrap }

  #emit (event: TorTransportEvent): void {
    if (logTor.enabled) logTor('%s %o', event.type, { ...event, type: undefined })
    if (event.type === 'bootstrap') this.#bootstrap = { progress: event.progress, summary: event.summary }
    try { this.#options.onEvent?.(event) } catch { /* a UI callback must not break the transport */ }
  }
}

async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function closed (stream: Duplex): Promise<void> {
  if (stream.closed) return Promise.resolve()
  return new Promise(resolve => stream.once('close', () => { resolve() }))
}

/**
 * The SOCKS password that picks a dial's circuit: the target host for the first lane (as before
 * lanes existed), `<host>#<lane>` for the others, so each lane to a peer gets a circuit of its own.
 */
export function circuitKey (host: string, lane: number | undefined): string {
  return lane == null || lane === 0 ? host : `${host}#${lane}`
}
