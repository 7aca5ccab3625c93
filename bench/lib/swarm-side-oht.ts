// The oht side of bench/swarm, through the real CLI (bin/oht.js), every peer its own process:
//   seeder i:  oht --data-dir D_i --json daemon --transport tcp --listen 127.0.0.1:P_i  (long-running)
//   seeder 1:  oht --data-dir D_1 --json share FILE               (through its daemon) -> {link, ...}
//   seeder i>1: oht --data-dir D_i --json fetch LINK -o D_i-files --peer tcp:127.0.0.1:P_1
//              (through its daemon, before anything is timed, so that it holds every block)
//   leecher:   oht --data-dir D_L --json --transport tcp fetch LINK -o OUT --peer tcp:127.0.0.1:P_1 ...
//              (no daemon: an embedded node for the duration) -> {path, bytes, seconds, peers},
//              under GNU time for whole-process CPU and peak RSS.
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { measuredNode, type Proc, type ProcGroup } from './swarm-proc.ts'
import type { LeechResult, SeederSetup, Side } from './swarm-side.ts'

export interface OhtSideOptions {
  group: ProcGroup
  /** The repository root (bin/oht.js lives there). */
  cwd: string
  file: string
  ports: number[]
  /** Seeder data directories go here. */
  workDir: string
  gnuTime: boolean
  setupTimeoutMs: number
  leechTimeoutMs: number
}

interface ShareResult { link: string, verifyCap?: string, id: string, bytes: number }
interface FetchResult { path: string, bytes: number, seconds: number, peers: number }

function lastJson<T> (proc: Proc): T {
  const line = proc.lines.map(l => l.trim()).filter(l => l.startsWith('{')).at(-1)
  if (line == null) throw new Error(`${proc.name} printed no JSON result: ${proc.describe()}`)
  return JSON.parse(line) as T
}

/** The daemon's listening line: `{"type":"listening","address":"tcp:127.0.0.1:P"}`, or any line naming 127.0.0.1:P. */
function listeningOn (port: number): (line: string) => string | undefined {
  const want = `127.0.0.1:${port}`
  return line => {
    const t = line.trim()
    if (t.startsWith('{')) {
      try {
        const v = JSON.parse(t) as { type?: unknown, address?: unknown }
        if (v.type === 'listening' && typeof v.address === 'string') return v.address
      } catch { /* not JSON after all */ }
    }
    return t.includes(want) ? t : undefined
  }
}

export class OhtSide implements Side {
  readonly tool = 'oht' as const
  readonly bin: string
  readonly seeders: Array<{ proc: Proc, port: number, dataDir: string, address: string }> = []
  link: string | undefined
  share: ShareResult | undefined
  private readonly o: OhtSideOptions
  private runs = 0

  constructor (o: OhtSideOptions) {
    this.o = o
    this.bin = join(o.cwd, 'bin', 'oht.js')
  }

  /** Runs one short CLI command to completion (bounded), returning the process. */
  private async cli (name: string, args: string[], timeoutMs: number): Promise<Proc> {
    const proc = this.o.group.start(name, process.execPath, [this.bin, ...args], { cwd: this.o.cwd })
    proc.child.stdin?.end()
    const status = await proc.finish(timeoutMs)
    if (status.code !== 0) throw new Error(`${name} failed: ${proc.describe()}`)
    return proc
  }

  async ensureSeeders (n: number): Promise<SeederSetup | undefined> {
    if (this.seeders.length >= n) return undefined
    const t0 = performance.now()
    const from = this.seeders.length
    await Promise.all(Array.from({ length: n - from }, (_, k) => this.startDaemon(from + k)))
    const first = this.seeders[0]!
    let shareSeconds = 0
    if (this.link == null) {
      const s0 = performance.now()
      const proc = await this.cli('oht share (seeder 1)', ['--data-dir', first.dataDir, '--json', 'share', this.o.file], this.o.setupTimeoutMs)
      this.share = lastJson<ShareResult>(proc)
      if (typeof this.share.link !== 'string') throw new Error(`oht share printed no link: ${proc.stdout}`)
      this.link = this.share.link
      shareSeconds = (performance.now() - s0) / 1000
    }
    const link = this.link
    const w0 = performance.now()
    await Promise.all(this.seeders.slice(Math.max(from, 1), n).map(async (s, k) => {
      const filesDir = `${s.dataDir}-files`
      await mkdir(filesDir, { recursive: true })
      const proc = await this.cli(`oht fetch (warm-up of seeder ${Math.max(from, 1) + k + 1})`, [
        '--data-dir', s.dataDir, '--json', 'fetch', link, '-o', filesDir, '--peer', `tcp:127.0.0.1:${first.port}`
      ], this.o.setupTimeoutMs)
      const r = lastJson<FetchResult>(proc)
      if (r.bytes !== this.share?.bytes) throw new Error(`seeder on port ${s.port} fetched ${r.bytes} bytes, expected ${this.share?.bytes}`)
    }))
    const warmSeconds = (performance.now() - w0) / 1000
    return {
      seeders: n,
      seconds: (performance.now() - t0) / 1000,
      detail: `oht daemons ${this.seeders.map(s => s.address).join(', ')}` +
        (shareSeconds > 0 ? `; share on seeder 1 ${shareSeconds.toFixed(2)} s` : '') +
        (n > Math.max(from, 1) ? `; warm-up fetch by seeder(s) ${Math.max(from, 1) + 1}–${n} from seeder 1 ${warmSeconds.toFixed(2)} s` : '')
    }
  }

  private async startDaemon (i: number): Promise<void> {
    const port = this.o.ports[i]
    if (port == null) throw new Error(`no port for oht seeder ${i + 1}`)
    const dataDir = join(this.o.workDir, `oht-seeder-${i + 1}`)
    await mkdir(dataDir, { recursive: true })
    const proc = this.o.group.start(`oht daemon seeder ${i + 1} (127.0.0.1:${port})`, process.execPath, [
      this.bin, '--data-dir', dataDir, '--json', 'daemon', '--transport', 'tcp', '--listen', `127.0.0.1:${port}`
    ], { cwd: this.o.cwd })
    const address = await proc.waitFor('listening line', listeningOn(port), this.o.setupTimeoutMs)
    this.seeders[i] = { proc, port, dataDir, address }
  }

  async leech (n: number, runDir: string, fetchFlags: readonly string[] = []): Promise<LeechResult> {
    const link = this.link
    if (link == null || this.seeders.length < n) throw new Error('oht seeders not started')
    const outDir = join(runDir, 'out')
    await mkdir(outDir, { recursive: true })
    const peers = this.seeders.slice(0, n).flatMap(s => ['--peer', `tcp:127.0.0.1:${s.port}`])
    const measured = measuredNode([
      this.bin, '--data-dir', join(runDir, 'oht-leecher'), '--json', '--transport', 'tcp', 'fetch', link, '-o', outDir, ...fetchFlags, ...peers
    ], runDir, `oht-leech-${++this.runs}`, this.o.gnuTime)
    const proc = this.o.group.start(`oht fetch leecher (${n} seeder${n > 1 ? 's' : ''})`, measured.command, measured.args, { cwd: this.o.cwd, env: measured.env })
    proc.child.stdin?.end()
    const status = await proc.finish(this.o.leechTimeoutMs)
    const e2eSeconds = ((proc.endedAt ?? performance.now()) - proc.started) / 1000
    if (status.code !== 0) throw new Error(`oht leecher failed: ${proc.describe()}`)
    const r = lastJson<FetchResult>(proc)
    const usage = await measured.read()
    return {
      bytes: r.bytes,
      seconds: typeof r.seconds === 'number' && r.seconds > 0 ? r.seconds : e2eSeconds,
      e2eSeconds,
      usage,
      outputPath: resolve(this.o.cwd, r.path),
      extra: { peers: r.peers, reportedSeconds: r.seconds }
    }
  }

  async stop (): Promise<void> {
    await Promise.all(this.seeders.map(s => s.proc.stop()))
    this.seeders.length = 0
  }
}

/** The `oht-enc` tool: the oht side's leecher with `fetch --encrypted-parts`, from its seeders. */
export class OhtEncryptedPartsSide implements Side {
  readonly tool = 'oht-enc' as const
  private readonly base: OhtSide
  constructor (base: OhtSide) { this.base = base }
  async ensureSeeders (n: number): Promise<SeederSetup | undefined> { return await this.base.ensureSeeders(n) }
  async leech (n: number, runDir: string): Promise<LeechResult> { return await this.base.leech(n, runDir, ['--encrypted-parts']) }
  async stop (): Promise<void> { await this.base.stop() }
}
