// Running tor for oht: either a tor of our own (started from PATH with its own DataDirectory,
// control port with cookie auth and SOCKS port on 127.0.0.1 with ports tor picks itself, stopped
// with the node), or a tor someone else runs that we attach to over its control port.
//
// No orphans: an own tor is bound to us twice. TAKEOWNERSHIP makes tor exit as soon as our
// control connection closes (which the kernel does when this process dies, however it dies),
// and __OwningControllerProcess makes it exit when our pid disappears. An 'exit' hook kills it
// too, for the orderly-exit path. Bootstrap is awaited through STATUS_CLIENT events.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, writeFile, chmod } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { TorControl, TorControlError, type TorControlOptions } from './control.ts'
import { bootstrapOf, type BootstrapProgress } from './events.ts'
import { parseArguments } from './reply.ts'
import { TOR_BOOTSTRAP_TIMEOUT_MS, TOR_START_TIMEOUT_MS, TOR_STOP_TIMEOUT_MS } from './constants.ts'

/** What the Tor transport needs from a tor, whoever runs it. */
export interface TorInstance {
  /** The authenticated control connection the transport issues ADD_ONION etc. on. */
  readonly control: TorControl
  /** Tor's SOCKS5 listener (always an IP literal on loopback); null while tor has none (DisableNetwork). */
  readonly socks: { host: string, port: number } | null
  /** True when oht started this tor (and will stop it). */
  readonly owned: boolean
  /** Waits until tor reports 100 % bootstrap, reporting progress; bounded. */
  waitForBootstrap (options?: { timeoutMs?: number, onProgress?: (p: BootstrapProgress) => void }): Promise<void>
  /** Own tor: stops the process. Attached tor: closes our control connection only. */
  close (): Promise<void>
}

export class TorStartError extends Error {
  override name = 'TorStartError'
}

/**
 * Tor ran but never reached 100 % bootstrap: almost always a machine without a way to the Tor
 * network. Says so plainly; the last phase tor reported is kept for the curious.
 */
export class TorBootstrapError extends TorStartError {
  override name = 'TorBootstrapError'
  readonly seconds: number
  readonly last: string
  constructor (timeoutMs: number, last: BootstrapProgress | null) {
    const seconds = Math.round(timeoutMs / 1000)
    const phase = last === null ? 'no progress' : `${last.progress}% ${last.summary}`
    super(`tor could not reach the Tor network after ${seconds} s (last: ${phase}): is this machine online? \`oht demo\` runs a private network`)
    this.seconds = seconds
    this.last = phase
  }
}

export interface StartTorOptions {
  /** Tor's DataDirectory (created, mode 0700). Keep it across runs: tor caches directory data there. */
  dataDir: string
  /** The tor binary; default `tor` on PATH. */
  torPath?: string
  /** Extra torrc lines, e.g. a private test network's (see testnet.ts). */
  config?: string[]
  startTimeoutMs?: number
}

/** Every tor this process started and that still runs: one 'exit' hook kills them all. */
const running = new Set<ChildProcess>()
function killRunning (): void {
  for (const child of running) child.kill('SIGKILL')
}

/** Starts a tor of our own. Resolves once its control port is authenticated (not yet bootstrapped). */
export async function startTor (options: StartTorOptions): Promise<TorProcess> {
  const dataDir = resolve(options.dataDir)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700) // tor refuses a group/world-readable DataDirectory
  const portFile = join(dataDir, 'control-port')
  const cookieFile = join(dataDir, 'control_auth_cookie')
  const torrc = join(dataDir, 'torrc')
  const defaults = join(dataDir, 'torrc-defaults')
  await writeFile(portFile, '') // a stale file from a previous run must not be read as ours
  await writeFile(defaults, '') // never pick up the system's torrc-defaults
  await writeFile(torrc, [
    ...(options.config ?? []),
    `DataDirectory ${dataDir}`,
    // "auto": tor binds a free port itself, so there is no window in which another process could take it.
    'ControlPort 127.0.0.1:auto',
    `ControlPortWriteToFile ${portFile}`,
    'CookieAuthentication 1',
    `CookieAuthFile ${cookieFile}`,
    // ExtendedErrors: onion-specific SOCKS failures (0xF0–0xF7). OnionTrafficOnly: tor itself
    // refuses any non-onion target, a second lock behind our own address check.
    'SocksPort 127.0.0.1:auto ExtendedErrors OnionTrafficOnly IsolateSOCKSAuth',
    'SocksPolicy accept 127.0.0.1',
    'SocksPolicy reject *',
    `__OwningControllerProcess ${process.pid}`,
    'Log notice stdout'
  ].join('\n') + '\n', { mode: 0o600 })

  const child = spawn(options.torPath ?? 'tor', ['--defaults-torrc', defaults, '-f', torrc], { stdio: ['ignore', 'pipe', 'pipe'] })
  const output = new TailLog(40)
  child.stdout!.on('data', (chunk: Buffer) => { output.push(chunk) })
  child.stderr!.on('data', (chunk: Buffer) => { output.push(chunk) })
  // Registered first, so a spawn failure wins the race below with its own message.
  const spawnError = new Promise<Error>(resolve => { child.once('error', resolve) })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => { resolve({ code, signal }) })
    // A tor that could not be spawned at all (ENOENT) never emits 'exit'.
    child.once('error', () => { if (child.pid === undefined) resolve({ code: null, signal: null }) })
  })
  running.add(child)
  if (running.size === 1) process.on('exit', killRunning)
  void exited.then(() => {
    running.delete(child)
    if (running.size === 0) process.off('exit', killRunning)
  })

  // Stops the port-file polling once the race below is decided, whichever way.
  const stopPolling = new AbortController()
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? TOR_START_TIMEOUT_MS)
    const port = await Promise.race([
      pollPortFile(portFile, deadline, stopPolling.signal),
      exited.then(({ code, signal }) => { throw new TorStartError(`tor exited during startup (${signal ?? `code ${code}`}): ${output.text()}`) }),
      spawnError.then(err => { throw new TorStartError(`cannot start ${options.torPath ?? 'tor'}: ${err.message} (is tor installed and on PATH?)`, { cause: err }) })
    ])
    const control = await TorControl.connect({ host: '127.0.0.1', port, cookieFile })
    // From now on tor lives exactly as long as this control connection.
    await control.command('TAKEOWNERSHIP')
    // With DisableNetwork 1 tor opens no SOCKS listener; such a tor still serves the control port.
    const socks = await socksListener(control).catch(() => null)
    return new TorProcess(child, control, socks, port, cookieFile, exited, output)
  } catch (err) {
    child.kill('SIGKILL')
    await exited
    throw err
  } finally {
    stopPolling.abort()
  }
}

export interface AttachTorOptions extends TorControlOptions {
  /** SOCKS listener to use; default the first one tor reports on loopback. */
  socks?: { host: string, port: number }
}

/** Attaches to a tor someone else runs (control address + cookie file or password). */
export async function attachTor (options: AttachTorOptions): Promise<AttachedTor> {
  const control = await TorControl.connect(options)
  try {
    const socks = options.socks ?? await socksListener(control)
    return new AttachedTor(control, socks)
  } catch (err) {
    control.close()
    throw err
  }
}

abstract class TorBase {
  readonly control: TorControl
  readonly socks: { host: string, port: number } | null
  constructor (control: TorControl, socks: { host: string, port: number } | null) {
    this.control = control
    this.socks = socks
  }

  async waitForBootstrap (options: { timeoutMs?: number, onProgress?: (p: BootstrapProgress) => void } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? TOR_BOOTSTRAP_TIMEOUT_MS
    const done = Promise.withResolvers<void>()
    let last: BootstrapProgress | null = null
    const report = (p: BootstrapProgress): void => {
      if (last !== null && last.progress === p.progress && last.tag === p.tag && p.warning === undefined) return
      last = p
      options.onProgress?.(p)
      if (p.progress >= 100) done.resolve()
    }
    const off = this.control.onEvent(event => {
      if (event.type === 'STATUS_CLIENT' && event.action === 'BOOTSTRAP') report(bootstrapOf(event.arguments))
    })
    const offClose = this.control.onClose(err => { done.reject(err ?? new TorStartError('the tor control connection closed during bootstrap')) })
    const timer = setTimeout(() => {
      done.reject(new TorBootstrapError(timeoutMs, last))
    }, timeoutMs)
    try {
      // Subscribe first, then ask for the current phase: no progress report can fall in between.
      await this.control.addEvents('STATUS_CLIENT')
      const phase = (await this.control.getInfo('status/bootstrap-phase')).get('status/bootstrap-phase') ?? ''
      const { keywords } = parseArguments(phase)
      report(bootstrapOf(keywords))
      await done.promise
    } finally {
      clearTimeout(timer)
      off()
      offClose()
    }
  }
}

export class TorProcess extends TorBase implements TorInstance {
  readonly owned = true
  readonly controlPort: number
  readonly cookieFile: string
  readonly #child: ChildProcess
  readonly #output: TailLog
  /** Resolves when the tor process has exited. */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  #stopping: Promise<void> | null = null

  constructor (child: ChildProcess, control: TorControl, socks: { host: string, port: number } | null, controlPort: number,
    cookieFile: string, exited: TorProcess['exited'], output: TailLog) {
    super(control, socks)
    this.#child = child
    this.controlPort = controlPort
    this.cookieFile = cookieFile
    this.exited = exited
    this.#output = output
  }

  get pid (): number | undefined { return this.#child.pid }

  /** The last lines tor logged (for error messages). */
  log (): string { return this.#output.text() }

  async close (): Promise<void> {
    this.#stopping ??= this.#stop()
    await this.#stopping
  }

  async #stop (): Promise<void> {
    // Closing the owning control connection alone makes tor exit; SIGTERM makes it immediate
    // (SIGINT would wait ShutdownWaitLength for a relay).
    this.control.close()
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM')
    const timer = setTimeout(() => { this.#child.kill('SIGKILL') }, TOR_STOP_TIMEOUT_MS)
    try {
      await this.exited
    } finally {
      clearTimeout(timer)
    }
  }
}

export class AttachedTor extends TorBase implements TorInstance {
  readonly owned = false
  async close (): Promise<void> {
    this.control.close()
    await this.control.closedSocket()
  }
}

/** Tor's SOCKS listener on loopback, from `GETINFO net/listeners/socks` (`"127.0.0.1:9050" ...`). */
async function socksListener (control: TorControl): Promise<{ host: string, port: number }> {
  const value = (await control.getInfo('net/listeners/socks')).get('net/listeners/socks') ?? ''
  for (const entry of parseArguments(value).positional) {
    const m = /^127\.0\.0\.1:([0-9]+)$/.exec(entry)
    if (m !== null) return { host: '127.0.0.1', port: Number(m[1]) }
  }
  throw new TorControlError('GETINFO', 0, `tor has no SOCKS listener on 127.0.0.1 (listeners: ${value || 'none'})`)
}

async function pollPortFile (file: string, deadline: number, stop: AbortSignal): Promise<number> {
  // Bounded polling of a file tor writes once its control listener is open (tor has no other
  // way to tell us an "auto" port); 20 ms steps, so a start costs at most 20 ms extra.
  for (;;) {
    if (stop.aborted) return 0
    const text = await readFile(file, 'utf8').catch(() => '')
    const m = /PORT=127\.0\.0\.1:([0-9]+)/.exec(text)
    if (m !== null) return Number(m[1])
    if (Date.now() > deadline) throw new TorStartError(`tor did not open its control port within the start timeout (${file} is empty)`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Keeps the last lines a child printed, bounded. */
class TailLog {
  readonly #max: number
  #lines: string[] = []
  #partial = ''
  constructor (max: number) { this.#max = max }
  push (chunk: Buffer): void {
    const parts = (this.#partial + chunk.toString('utf8')).split('\n')
    this.#partial = (parts.pop() ?? '').slice(-4096)
    for (const line of parts) if (line.trim() !== '') this.#lines.push(line.slice(0, 1024))
    if (this.#lines.length > this.#max) this.#lines = this.#lines.slice(-this.#max)
  }

  text (): string { return [...this.#lines, this.#partial].filter(l => l !== '').join('\n') }
}
