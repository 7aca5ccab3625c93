// Child processes for bench/swarm: every peer runs in its own process group (detached), so a
// peer and anything it started end together; every wait is bounded; whatever is still running
// when the benchmark ends, fails or is interrupted is killed (SIGTERM, then SIGKILL).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

const STDERR_TAIL = 8192
const MAX_LINES = 2000

export interface ExitStatus { code: number | null, signal: NodeJS.Signals | null }

export class Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly pid: number
  readonly started = performance.now()
  readonly lines: string[] = []
  readonly exited: Promise<ExitStatus>
  exitStatus: ExitStatus | undefined
  endedAt: number | undefined
  private stderr = ''
  private partial = ''
  private errPartial = ''
  private readonly listeners = new Set<(line: string) => void>()

  constructor (name: string, child: ChildProcess) {
    if (child.pid == null) throw new Error(`${name}: could not start`)
    this.name = name
    this.child = child
    this.pid = child.pid
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.onStdout(s) })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr = (this.stderr + s).slice(-STDERR_TAIL)
      const parts = (this.errPartial + s).split('\n')
      this.errPartial = (parts.pop() ?? '').slice(-STDERR_TAIL)
      for (const line of parts) for (const l of this.listeners) l(line)
    })
    child.stdin?.on('error', () => {}) // the child may exit before we close its stdin
    this.exited = new Promise(resolve => {
      child.on('error', err => {
        this.stderr += `\n${err.message}`
        this.exitStatus ??= { code: null, signal: null }
        resolve(this.exitStatus)
      })
      child.on('close', (code, signal) => {
        this.endedAt = performance.now()
        this.exitStatus = { code, signal }
        resolve(this.exitStatus)
      })
    })
  }

  private onStdout (s: string): void {
    const parts = (this.partial + s).split('\n')
    this.partial = parts.pop() ?? ''
    for (const line of parts) {
      this.lines.push(line)
      if (this.lines.length > MAX_LINES) this.lines.shift()
      for (const l of this.listeners) l(line)
    }
  }

  get stdout (): string { return [...this.lines, this.partial].join('\n') }
  get stderrTail (): string { return this.stderr.trim() }
  get running (): boolean { return this.exitStatus == null }

  describe (): string {
    const s = this.exitStatus
    const how = s == null ? 'still running' : s.signal != null ? `killed by ${s.signal}` : `exit ${s.code}`
    const tail = this.stderrTail || this.stdout.trim()
    return `${this.name} (${how})${tail !== '' ? `:\n${tail.split('\n').slice(-25).map(l => `    ${l}`).join('\n')}` : ''}`
  }

  /** Resolves with pick(line) for the first line (stdout or stderr) it accepts; rejects on exit or timeout. */
  waitFor<T> (what: string, pick: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    for (const line of this.lines) {
      const v = pick(line)
      if (v !== undefined) return Promise.resolve(v)
    }
    return new Promise((resolve, reject) => {
      const done = (): void => { clearTimeout(timer); this.listeners.delete(listener) }
      const listener = (line: string): void => {
        const v = pick(line)
        if (v !== undefined) { done(); resolve(v) }
      }
      const timer = setTimeout(() => { done(); reject(new Error(`${this.name}: no ${what} within ${timeoutMs / 1000} s; ${this.describe()}`)) }, timeoutMs)
      this.listeners.add(listener)
      this.exited.then(() => {
        if (!this.listeners.has(listener)) return
        // A line may still sit in `partial` when the process ends without a newline.
        const v = this.partial !== '' ? pick(this.partial) : undefined
        done()
        if (v !== undefined) resolve(v)
        else reject(new Error(`${this.name} ended before ${what}: ${this.describe()}`))
      }, () => {})
    })
  }

  /** Waits for the process to end by itself; kills its group and rejects after timeoutMs. */
  async finish (timeoutMs: number): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
    const r = await Promise.race([this.exited, timedOut])
    clearTimeout(timer)
    if (r === 'timeout') {
      await this.stop()
      throw new Error(`${this.name}: did not finish within ${timeoutMs / 1000} s, killed; ${this.describe()}`)
    }
    return r
  }

  /** SIGTERM to the whole process group, SIGKILL after graceMs; resolves once it is gone. */
  async stop (graceMs = 5000): Promise<void> {
    if (this.running) {
      this.child.stdin?.end()
      signalGroup(this.pid, 'SIGTERM')
      let timer: NodeJS.Timeout | undefined
      await Promise.race([this.exited, new Promise(resolve => { timer = setTimeout(resolve, graceMs) })])
      clearTimeout(timer)
    }
    // Also after the leader has gone: anything left in its group (e.g. under /usr/bin/time).
    signalGroup(this.pid, 'SIGKILL')
    await Promise.race([this.exited, new Promise(resolve => setTimeout(resolve, 2000))])
  }
}

function signalGroup (pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal) } catch { /* ESRCH: already gone */ }
}

/** Every process the benchmark started, so all of them can be ended on the way out. */
export class ProcGroup {
  private readonly procs = new Set<Proc>()
  private hooked = false

  start (name: string, command: string, args: string[], opts: { cwd: string, env?: NodeJS.ProcessEnv }): Proc {
    this.hookExit()
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true // its own process group: stop() signals the group
    })
    const proc = new Proc(name, child)
    this.procs.add(proc)
    proc.exited.then(() => { this.procs.delete(proc) }, () => {})
    return proc
  }

  async stopAll (): Promise<void> {
    await Promise.all([...this.procs].map(p => p.stop()))
  }

  /** Synchronous last resort (process 'exit', signals): SIGKILL every group still known. */
  killAllNow (): void {
    for (const p of this.procs) signalGroup(p.pid, 'SIGKILL')
  }

  private hookExit (): void {
    if (this.hooked) return
    this.hooked = true
    process.on('exit', () => { this.killAllNow() })
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(sig, () => {
        process.stderr.write(`\n${sig}: stopping every peer process\n`)
        this.killAllNow()
        process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1))
      })
    }
  }
}

// ---- measuring a whole process: GNU time, or a preloaded hook when it is missing ----

export interface ProcessUsage {
  /** Wall time of the process as the measuring tool saw it, s. */
  wallSeconds: number
  userSeconds: number
  systemSeconds: number
  maxRssKiB: number
  via: 'gnu-time' | 'rusage-hook'
}

export const GNU_TIME = '/usr/bin/time'

export function hasGnuTime (): boolean {
  const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { stdio: 'ignore', timeout: 10_000 })
  return r.status === 0
}

export interface MeasuredCommand {
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  read: () => Promise<ProcessUsage>
}

/**
 * Wraps `node ARGS` so its whole-process CPU time (user, system; all threads) and peak RSS are
 * recorded: under GNU time (`%e %U %S %M`) when there is one, else with bench/lib/rusage-hook.ts
 * preloaded (written at process exit).
 */
export function measuredNode (nodeArgs: string[], outDir: string, tag: string, gnuTime: boolean): MeasuredCommand {
  const out = join(outDir, `${tag}.usage`)
  if (gnuTime) {
    return {
      command: GNU_TIME,
      args: ['-f', '%e %U %S %M', '-o', out, process.execPath, ...nodeArgs],
      env: process.env,
      read: async () => {
        // GNU time writes "Command exited with non-zero status N" first when it did.
        const last = (await readFile(out, 'utf8')).trim().split('\n').at(-1) ?? ''
        const [e, u, s, m] = last.trim().split(/\s+/).map(Number)
        if (e == null || u == null || s == null || m == null || [e, u, s, m].some(Number.isNaN)) throw new Error(`cannot parse GNU time output: ${last}`)
        return { wallSeconds: e, userSeconds: u, systemSeconds: s, maxRssKiB: m, via: 'gnu-time' }
      }
    }
  }
  const hook = pathToFileURL(join(import.meta.dirname, 'rusage-hook.ts')).href
  return {
    command: process.execPath,
    args: ['--import', hook, ...nodeArgs],
    env: { ...process.env, BENCH_RUSAGE_OUT: out },
    read: async () => {
      const u = JSON.parse(await readFile(out, 'utf8')) as { cpuUserSeconds: number, cpuSystemSeconds: number, maxRssKiB: number, uptimeSeconds: number }
      return { wallSeconds: u.uptimeSeconds, userSeconds: u.cpuUserSeconds, systemSeconds: u.cpuSystemSeconds, maxRssKiB: u.maxRssKiB, via: 'rusage-hook' }
    }
  }
}
