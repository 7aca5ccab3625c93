// The WebTorrent side of bench/swarm: seeders and the leecher are bench/lib/swarm-webtorrent-*.ts,
// each its own Node process, with DHT, trackers, LSD, µTP, PEX, web seeds and NAT mapping off;
// seeders listen on 127.0.0.1 at fixed ports and the leecher adds each of them by address.
import { join } from 'node:path'
import { RESULT_MARK, type ChildResult } from './measure.ts'
import { measuredNode, type Proc, type ProcGroup } from './swarm-proc.ts'
import type { LeechResult, SeederSetup, Side } from './swarm-side.ts'
import { READY_MARK } from './swarm-webtorrent-client.ts'

const SEED_SCRIPT = join(import.meta.dirname, 'swarm-webtorrent-seed.ts')
const LEECH_SCRIPT = join(import.meta.dirname, 'swarm-webtorrent-leech.ts')

export interface SeederReady {
  infoHash: string
  name: string
  length: number
  pieceLength: number
  port: number
  host: string
  setupSeconds: number
  version: string
}

export interface WebTorrentSideOptions {
  group: ProcGroup
  cwd: string
  /** The fixture, seeded in place. */
  file: string
  /** Seeder i listens on ports[i]. */
  ports: number[]
  /** A directory for the .torrent and the leecher's usage files. */
  workDir: string
  gnuTime: boolean
  setupTimeoutMs: number
  leechTimeoutMs: number
}

export class WebTorrentSide implements Side {
  readonly tool = 'webtorrent' as const
  readonly seeders: Array<{ proc: Proc, ready: SeederReady }> = []
  private readonly o: WebTorrentSideOptions
  private readonly torrentPath: string
  private runs = 0

  constructor (o: WebTorrentSideOptions) {
    this.o = o
    this.torrentPath = join(o.workDir, 'webtorrent.torrent')
  }

  get first (): SeederReady | undefined { return this.seeders[0]?.ready }

  async ensureSeeders (n: number): Promise<SeederSetup | undefined> {
    if (this.seeders.length >= n) return undefined
    const t0 = performance.now()
    const from = this.seeders.length
    if (from === 0) await this.startSeeder(0) // the first one hashes the file and writes the .torrent
    const rest: Array<Promise<void>> = []
    for (let i = Math.max(from, 1); i < n; i++) rest.push(this.startSeeder(i))
    await Promise.all(rest)
    const first = this.first!
    for (const s of this.seeders) {
      if (s.ready.infoHash !== first.infoHash) throw new Error(`webtorrent seeder ${s.ready.port} seeds ${s.ready.infoHash}, not ${first.infoHash}`)
    }
    return {
      seeders: n,
      seconds: (performance.now() - t0) / 1000,
      detail: `WebTorrent ${first.version}, info hash ${first.infoHash}, piece length ${first.pieceLength / 1024} KiB; seeders ${this.seeders.map(s => `${s.ready.host}:${s.ready.port}`).join(', ')}`
    }
  }

  private async startSeeder (i: number): Promise<void> {
    const port = this.o.ports[i]
    if (port == null) throw new Error(`no port for webtorrent seeder ${i + 1}`)
    const args = i === 0
      ? { file: this.o.file, port, torrentOut: this.torrentPath }
      : { file: this.o.file, port, torrentIn: this.torrentPath }
    const proc = this.o.group.start(`webtorrent seeder ${i + 1} (127.0.0.1:${port})`, process.execPath, [SEED_SCRIPT, JSON.stringify(args)], { cwd: this.o.cwd })
    const ready = await proc.waitFor('READY line', l => l.startsWith(READY_MARK) ? JSON.parse(l.slice(READY_MARK.length)) as SeederReady : undefined, this.o.setupTimeoutMs)
    if (ready.port !== port) throw new Error(`webtorrent seeder ${i + 1} listens on ${ready.port}, not ${port}`)
    this.seeders[i] = { proc, ready }
  }

  async leech (n: number, runDir: string): Promise<LeechResult> {
    const first = this.first
    if (first == null || this.seeders.length < n) throw new Error('webtorrent seeders not started')
    const outDir = join(runDir, 'out')
    const peers = this.seeders.slice(0, n).map(s => s.ready.port)
    const measured = measuredNode([LEECH_SCRIPT, JSON.stringify({ torrent: this.torrentPath, outDir, peers })], runDir, `webtorrent-leech-${++this.runs}`, this.o.gnuTime)
    const proc = this.o.group.start(`webtorrent leecher (${n} seeder${n > 1 ? 's' : ''})`, measured.command, measured.args, { cwd: this.o.cwd, env: measured.env })
    const status = await proc.finish(this.o.leechTimeoutMs)
    const e2eSeconds = ((proc.endedAt ?? performance.now()) - proc.started) / 1000
    const line = proc.lines.find(l => l.startsWith(RESULT_MARK))
    if (status.code !== 0 || line == null) throw new Error(`webtorrent leecher failed: ${proc.describe()}`)
    const r = JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult
    const usage = await measured.read()
    return {
      bytes: r.bytes,
      seconds: r.wallSeconds,
      e2eSeconds,
      usage,
      outputPath: join(outDir, first.name),
      extra: {
        ...r.extra,
        timedRegionCpuSeconds: r.cpuUserSeconds + r.cpuSystemSeconds,
        timedRegionMaxRssKiB: r.maxRssKiB
      }
    }
  }

  async stop (): Promise<void> {
    await Promise.all(this.seeders.map(s => s.proc.stop()))
    this.seeders.length = 0
  }
}
