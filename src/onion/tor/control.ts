// A Tor control-port client (control-spec): one persistent, authenticated connection per client;
// commands are written in call order and matched to replies in that order (Tor answers
// sequentially); asynchronous 650 events are parsed and handed to subscribers as typed events,
// never mistaken for a reply. Failures carry Tor's own status code and message.
//
// Authentication follows PROTOCOLINFO: a password when one is given, else SAFECOOKIE (mutual:
// tor proves it knows the cookie too, so a process squatting on the port cannot harvest it),
// else COOKIE, else NULL when tor asks for nothing.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { connect, isIP, type Socket } from 'node:net'
import { parseEvent, type TorEvent } from './events.ts'
import { parseArguments, quoteString, ReplyParser, type Reply, type ReplyParserLimits } from './reply.ts'
import { TOR_COMMAND_TIMEOUT_MS, TOR_CONTROL_CONNECT_TIMEOUT_MS, TOR_MAX_PENDING_COMMANDS } from './constants.ts'

/** A command that Tor answered with an error status (4xx/5xx), or a failed control connection. */
export class TorControlError extends Error {
  override name = 'TorControlError'
  /** Tor's status code (e.g. 552 "Unrecognized key", 515 "Authentication failed"); 0 when the connection itself failed. */
  readonly code: number
  /** Tor's message, lines joined with "\n". */
  readonly text: string
  /** The command's keyword (never its arguments: they may hold keys or passwords). */
  readonly command: string
  constructor (command: string, code: number, text: string, options?: ErrorOptions) {
    super(code === 0 ? `tor control ${command}: ${text}` : `tor control ${command} failed: ${code} ${text}`, options)
    this.code = code
    this.text = text
    this.command = command
  }
}

export interface TorControlOptions {
  /** IP literal of the control port; default 127.0.0.1 (names are never resolved). */
  host?: string
  port?: number
  /** A unix-socket control port (`ControlSocket`), instead of host/port. */
  path?: string
  /** Cookie file to use instead of the one PROTOCOLINFO names. */
  cookieFile?: string
  /** Control password (`HashedControlPassword`); takes precedence over cookies. */
  password?: string
  connectTimeoutMs?: number
  commandTimeoutMs?: number
  limits?: ReplyParserLimits
}

export interface ProtocolInfo {
  methods: string[]
  cookieFile?: string
  torVersion?: string
}

interface Pending {
  keyword: string
  resolve: (reply: Reply) => void
  reject: (err: Error) => void
  timer: NodeJS.Timeout
}

const SAFECOOKIE_SERVER_KEY = 'Tor safe cookie authentication server-to-controller hash'
const SAFECOOKIE_CLIENT_KEY = 'Tor safe cookie authentication controller-to-server hash'

export class TorControl {
  readonly #socket: Socket
  readonly #parser: ReplyParser
  readonly #pending: Pending[] = []
  readonly #listeners = new Set<(event: TorEvent) => void>()
  readonly #closeListeners = new Set<(err: Error | undefined) => void>()
  readonly #events = new Set<string>()
  readonly #commandTimeoutMs: number
  #closedWith: Error | null = null
  #closed = false
  /** Filled in by connect(). */
  protocolInfo: ProtocolInfo = { methods: [] }

  private constructor (socket: Socket, options: TorControlOptions) {
    this.#socket = socket
    this.#commandTimeoutMs = options.commandTimeoutMs ?? TOR_COMMAND_TIMEOUT_MS
    this.#parser = new ReplyParser(reply => { this.#onReply(reply) }, options.limits)
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#parser.push(chunk)
      } catch (err) {
        this.#fail(new TorControlError('connection', 0, `protocol error: ${(err as Error).message}`, { cause: err }))
      }
    })
    socket.on('error', err => { this.#fail(new TorControlError('connection', 0, `control connection failed: ${err.message}`, { cause: err })) })
    socket.on('close', () => { this.#fail(undefined) })
  }

  /** Connects and authenticates; the returned client is ready for commands. */
  static async connect (options: TorControlOptions): Promise<TorControl> {
    const socket = await openSocket(options)
    const control = new TorControl(socket, options)
    try {
      await control.#authenticate(options)
    } catch (err) {
      control.close()
      throw err
    }
    return control
  }

  get closed (): boolean { return this.#closed }

  /**
   * Sends one command line (without CRLF) and resolves to Tor's 2xx reply; rejects with a
   * TorControlError carrying Tor's code and message otherwise. `data` is sent as a data block
   * ("+" commands such as +LOADCONF) with dot-stuffing.
   */
  async command (line: string, data?: string): Promise<Reply> {
    if (/[\r\n]/.test(line)) throw new TypeError('a control command is one line')
    const keyword = (line.split(' ', 1)[0] ?? '').replace(/^\+/, '').toUpperCase()
    if (this.#closed) throw this.#closedWith ?? new TorControlError(keyword, 0, 'the control connection is closed')
    if (this.#pending.length >= TOR_MAX_PENDING_COMMANDS) throw new TorControlError(keyword, 0, `more than ${TOR_MAX_PENDING_COMMANDS} commands pending`)
    let payload = line + '\r\n'
    if (data !== undefined) payload += data.split(/\r?\n/).map(l => l.startsWith('.') ? '.' + l : l).join('\r\n') + '\r\n.\r\n'
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        // A reply may still come, and would then be matched to the wrong command: the
        // connection can no longer be trusted, so it is closed (failing every pending command).
        this.#fail(new TorControlError(keyword, 0, `no reply within ${this.#commandTimeoutMs} ms`))
      }, this.#commandTimeoutMs)
      this.#pending.push({ keyword, resolve, reject, timer })
      this.#socket.write(payload)
    })
    if (reply.code < 200 || reply.code > 299) {
      throw new TorControlError(keyword, reply.code, reply.lines.map(l => l.text).join('\n'))
    }
    return reply
  }

  /** `GETINFO k1 k2...` → map of key to value (data blocks for multi-line values). */
  async getInfo (...keys: string[]): Promise<Map<string, string>> {
    const reply = await this.command(`GETINFO ${keys.join(' ')}`)
    const out = new Map<string, string>()
    for (const line of reply.lines) {
      const eq = line.text.indexOf('=')
      if (eq < 0) continue // the final "OK"
      out.set(line.text.slice(0, eq), line.data ?? line.text.slice(eq + 1))
    }
    return out
  }

  /** Adds events to the SETEVENTS set of this connection (SETEVENTS replaces, so we keep the union). */
  async addEvents (...names: string[]): Promise<void> {
    const before = this.#events.size
    for (const name of names) this.#events.add(name.toUpperCase())
    if (this.#events.size !== before) await this.command(`SETEVENTS ${[...this.#events].join(' ')}`)
  }

  /** Subscribes to every asynchronous event; returns the unsubscribe function. */
  onEvent (listener: (event: TorEvent) => void): () => void {
    this.#listeners.add(listener)
    return () => { this.#listeners.delete(listener) }
  }

  /** Called once when the connection ends: with the error, or undefined for an orderly close. */
  onClose (listener: (err: Error | undefined) => void): () => void {
    if (this.#closed) { queueMicrotask(() => { listener(this.#closedWith ?? undefined) }); return () => {} }
    this.#closeListeners.add(listener)
    return () => { this.#closeListeners.delete(listener) }
  }

  /** Closes the connection (pending commands fail). Tor drops non-detached onion services then. */
  close (): void {
    this.#fail(undefined)
  }

  /** Resolves once the socket is fully closed. */
  async closedSocket (): Promise<void> {
    if (this.#socket.closed) return
    await new Promise<void>(resolve => this.#socket.once('close', () => { resolve() }))
  }

  #onReply (reply: Reply): void {
    if (reply.code >= 600 && reply.code <= 699) {
      const event = parseEvent(reply)
      for (const listener of [...this.#listeners]) {
        try {
          listener(event)
        } catch (err) {
          // A throwing subscriber is its own bug; it must not desynchronise the connection.
          process.emitWarning(`tor control event listener threw: ${(err as Error).message}`)
        }
      }
      return
    }
    const pending = this.#pending.shift()
    if (pending === undefined) {
      this.#fail(new TorControlError('connection', 0, `unexpected reply ${reply.code} with no command pending`))
      return
    }
    clearTimeout(pending.timer)
    pending.resolve(reply)
  }

  #fail (err: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.#closedWith = err ?? null
    this.#socket.destroy()
    const failure = err ?? new TorControlError('connection', 0, 'the control connection closed')
    for (const pending of this.#pending.splice(0)) {
      clearTimeout(pending.timer)
      pending.reject(err instanceof TorControlError && err.command === pending.keyword
        ? err
        : new TorControlError(pending.keyword, 0, failure instanceof TorControlError ? failure.text : failure.message, { cause: failure }))
    }
    for (const listener of [...this.#closeListeners]) listener(err)
    this.#closeListeners.clear()
  }

  async #authenticate (options: TorControlOptions): Promise<void> {
    const info = parseProtocolInfo(await this.command('PROTOCOLINFO 1'))
    this.protocolInfo = info
    const methods = new Set(info.methods)
    if (options.password !== undefined) {
      await this.command(`AUTHENTICATE ${quoteString(options.password)}`)
      return
    }
    const cookieFile = options.cookieFile ?? info.cookieFile
    if ((methods.has('SAFECOOKIE') || methods.has('COOKIE')) && cookieFile !== undefined) {
      const cookie = await readFile(cookieFile)
      if (cookie.length !== 32) throw new TorControlError('AUTHENTICATE', 0, `cookie file ${cookieFile} holds ${cookie.length} bytes, expected 32`)
      if (methods.has('SAFECOOKIE')) await this.#safeCookie(cookie)
      else await this.command(`AUTHENTICATE ${cookie.toString('hex')}`)
      return
    }
    if (methods.has('NULL')) {
      await this.command('AUTHENTICATE')
      return
    }
    throw new TorControlError('AUTHENTICATE', 0, `no usable authentication method (tor offers ${info.methods.join(', ') || 'none'}; give a cookie file or password)`)
  }

  async #safeCookie (cookie: Buffer): Promise<void> {
    const clientNonce = randomBytes(32)
    const reply = await this.command(`AUTHCHALLENGE SAFECOOKIE ${clientNonce.toString('hex')}`)
    const { keywords } = parseArguments((reply.lines[0]?.text ?? '').replace(/^AUTHCHALLENGE\s*/, ''))
    const serverHash = Buffer.from(keywords.get('SERVERHASH') ?? '', 'hex')
    const serverNonce = Buffer.from(keywords.get('SERVERNONCE') ?? '', 'hex')
    if (serverNonce.length !== 32 || serverHash.length !== 32) throw new TorControlError('AUTHCHALLENGE', 0, 'malformed AUTHCHALLENGE reply')
    const message = Buffer.concat([cookie, clientNonce, serverNonce])
    const expected = createHmac('sha256', SAFECOOKIE_SERVER_KEY).update(message).digest()
    if (!timingSafeEqual(expected, serverHash)) {
      throw new TorControlError('AUTHCHALLENGE', 0, 'the control port does not know our cookie: it is not the tor we expect')
    }
    const clientHash = createHmac('sha256', SAFECOOKIE_CLIENT_KEY).update(message).digest()
    await this.command(`AUTHENTICATE ${clientHash.toString('hex')}`)
  }
}

function parseProtocolInfo (reply: Reply): ProtocolInfo {
  const info: ProtocolInfo = { methods: [] }
  for (const line of reply.lines) {
    if (line.text.startsWith('AUTH ')) {
      const { keywords } = parseArguments(line.text.slice(5))
      info.methods = (keywords.get('METHODS') ?? '').split(',').filter(m => m !== '')
      const file = keywords.get('COOKIEFILE')
      if (file !== undefined) info.cookieFile = file
    } else if (line.text.startsWith('VERSION ')) {
      const version = parseArguments(line.text.slice(8)).keywords.get('Tor')
      if (version !== undefined) info.torVersion = version
    }
  }
  return info
}

async function openSocket (options: TorControlOptions): Promise<Socket> {
  const host = options.host ?? '127.0.0.1'
  if (options.path === undefined) {
    if (isIP(host) === 0) throw new TorControlError('connection', 0, `control host must be an IP address, got "${host}" (oht never resolves names)`)
    if (options.port === undefined || !Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new TorControlError('connection', 0, `bad control port ${String(options.port)}`)
    }
  }
  const where = options.path ?? `${host}:${options.port}`
  const timeoutMs = options.connectTimeoutMs ?? TOR_CONTROL_CONNECT_TIMEOUT_MS
  return await new Promise<Socket>((resolve, reject) => {
    const socket = options.path !== undefined ? connect({ path: options.path }) : connect({ host, port: options.port! })
    const timer = setTimeout(() => { done(new TorControlError('connection', 0, `no connection to the control port ${where} within ${timeoutMs} ms`)) }, timeoutMs)
    const done = (err?: Error): void => {
      clearTimeout(timer)
      socket.off('connect', onConnect)
      socket.off('error', onError)
      if (err !== undefined) { socket.destroy(); reject(err) } else resolve(socket)
    }
    const onConnect = (): void => { done() }
    const onError = (err: Error): void => { done(new TorControlError('connection', 0, `cannot connect to the control port ${where}: ${err.message}`, { cause: err })) }
    socket.once('connect', onConnect)
    socket.once('error', onError)
  })
}

