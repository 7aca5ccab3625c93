// Benchmark: streaming a video while it downloads, oht against WebTorrent's streaming server, on
// the same file, the same number of seeders and the same per-seeder upload limit, in one run.
//
//   node bench/stream.ts [--trials 4] [--seeks 6] [--seconds 240] [--kbps 4000] [--rate 2MiB]
//                        [--seeders 2] [--only oht|webtorrent] [--json]
//
// Input: an H.264/AAC MP4 made by ffmpeg (bench/fixtures/stream-<seconds>s-<kbps>k.mp4, kept),
// its index (moov) at the END as a camera or a plain `ffmpeg` writes it, keyframe every second.
// Seeders: oht daemons (`--max-upload RATE`) that fetched the share from an unthrottled owner,
// stopped before any trial (a share's id covers its creation time); WebTorrent clients
// (`throttleUpload(RATE)`, discovery off) that seed it, all on 127.0.0.1.
// Each trial starts a FRESH leecher per tool (new data dir, nothing cached), tools alternating:
//   oht:        `oht --transport tcp stream LINK --peer ... -o DIR` (embedded node; its URL line
//               on stdout, "download complete" on stderr)
//   WebTorrent: a client that adds the .torrent and every seeder, and `client.createServer()`
// and measures, from the leecher's spawn:
//   - time to first byte: a GET of the URL as soon as the URL is printed, to its first body byte;
//   - time to first frame: `ffmpeg -i URL -frames:v 1` done (it reads the head, then the index
//     at the end, then the first frames: what a player does on open);
// then `--seeks` seeks to random byte offsets (the same offsets for both tools): each is a new
// connection with `Range: bytes=X-`, timed until 64 KiB of it arrived, the connection then
// dropped (a player's seek: ffmpeg's own demuxing cost would be the same for both tools and is
// reported apart, as ffmpeg -ss on the local file).
// WebTorrent gets the metadata from the .torrent file on disk; oht fetches its manifest and leaf
// hashes from the peers (a little extra work on oht's side).
// After the download completes, the same seeks again (the server's own cost, no network wait).
// It is a benchmark: it reports figures; it asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { machineFacts } from './lib/machine.ts'
import { CLIENT_OPTIONS, listenOnLoopbackOnly } from './lib/swarm-webtorrent-client.ts'
import { startDaemon, type Daemon } from '../test/helpers/daemon.ts'
import { makeMp4, probe } from '../test/helpers/media.ts'
import { decodeMs, firstBytesMs } from './lib/stream-probe.ts'
import { DaemonClient } from '../src/node/api/client.ts'
import { apiSocket } from '../cli/context.ts'
import { seededRandom as prng } from '../src/onion/tor/testnet/wan.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(BENCH_DIR, '..')
const NODE = process.execPath
const OHT_BIN = join(ROOT, 'bin', 'oht.js')
const SELF = fileURLToPath(import.meta.url)
const MARK = 'STREAM_BENCH '
/** A seek is timed until this much of the new position has arrived (a player's first read). */
const SEEK_BYTES = 64 * 1024

// ---- child roles: WebTorrent seeder and leecher (each its own process) ----
interface WtSeedArgs { file: string, torrentOut?: string, torrentIn?: string, rate: number }
interface WtLeechArgs { torrent: string, outDir: string, peers: number[] }
interface WtServer { listen: (port: number, host: string, cb: () => void) => void, address: () => { port: number } }
interface WtFile { streamURL: string, path: string }

if (process.argv[2] === '--role') {
  const role = process.argv[3]
  const args = JSON.parse(process.argv[4]!) as WtSeedArgs & WtLeechArgs
  listenOnLoopbackOnly()
  const { default: WebTorrent } = await import('webtorrent')
  const client = new WebTorrent({ ...CLIENT_OPTIONS, torrentPort: 0 })
  client.on('error', err => { process.stderr.write(`${String(err)}\n`); process.exit(1) })
  const print = (v: object): void => { process.stdout.write(MARK + JSON.stringify(v) + '\n') }
  process.on('SIGTERM', () => { process.exit(0) })
  process.stdin.on('end', () => { process.exit(0) })
  process.stdin.resume()
  if (role === 'wt-seed') {
    (client as unknown as { throttleUpload: (r: number) => void }).throttleUpload(args.rate)
    const ready = (t: { infoHash: string, torrentFile: Uint8Array }): void => {
      if (args.torrentOut != null) void writeFile(args.torrentOut, t.torrentFile).then(() => { print({ port: client.address()!.port, infoHash: t.infoHash }) })
      else print({ port: client.address()!.port, infoHash: t.infoHash })
    }
    if (args.torrentIn == null) client.seed(args.file, { announce: [] }, ready)
    else client.add(await readFile(args.torrentIn), { path: dirname(args.file), skipVerify: true, announce: [] }, ready)
  } else if (role === 'wt-leech') {
    const server = (client as unknown as { createServer: (o: object) => WtServer }).createServer({ hostname: '127.0.0.1' })
    await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
    const torrent = client.add(await readFile(args.torrent), { path: args.outDir, announce: [] })
    const addPeers = (): void => { for (const port of args.peers) torrent.addPeer(`127.0.0.1:${port}`) }
    if (torrent.infoHash) addPeers()
    else torrent.once('infoHash', addPeers)
    const onReady = (): void => {
      const file = (torrent as unknown as { files: WtFile[] }).files[0]!
      print({ url: `http://127.0.0.1:${server.address().port}${file.streamURL}` })
    }
    if (torrent.ready) onReady()
    else torrent.once('ready', onReady)
    torrent.once('done', () => { print({ done: true }) })
  }
  await new Promise(() => {})
}

// ---- the benchmark ----
const { values: opts } = parseArgs({
  options: {
    trials: { type: 'string', default: '4' },
    seeks: { type: 'string', default: '6' },
    // A film long enough that seeks land where neither tool has downloaded yet (117 MiB at the
    // default bitrate; 2 seeders at 2 MiB/s take ~30 s for it).
    seconds: { type: 'string', default: '240' },
    kbps: { type: 'string', default: '4000' },
    rate: { type: 'string', default: '2MiB' },
    seeders: { type: 'string', default: '2' },
    only: { type: 'string' },
    json: { type: 'boolean', default: false }
  }
})
type Tool = 'oht' | 'webtorrent'
const tools: Tool[] = opts.only != null ? [opts.only as Tool] : ['oht', 'webtorrent']
const trials = Number(opts.trials)
const seeksPerTrial = Number(opts.seeks)
const seconds = Number(opts.seconds)
const kbps = Number(opts.kbps)
const rate = parseSize(opts.rate)
const seederCount = Number(opts.seeders)
const say = (line = ''): void => { (opts.json ? process.stderr : process.stdout).write(line + '\n') }
const note = (line: string): void => { process.stderr.write(line + '\n') }

const children = new Set<ChildProcess>()
process.on('exit', () => { for (const c of children) c.kill('SIGKILL') })
process.on('SIGINT', () => { process.exit(130) })

/** Spawns a child and waits for its first MARK line (or, for oht stream, its first stdout line). */
async function spawnUntil<T> (name: string, argv: string[], pick: (line: string) => T | undefined, timeoutMs = 120_000): Promise<{ child: ChildProcess, value: T }> {
  const child = spawn(NODE, argv, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: undefined, OHT_HOME: undefined, OHT_PASSPHRASE: undefined } })
  children.add(child)
  child.once('exit', () => { children.delete(child) })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-4000) })
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${name}: nothing in ${timeoutMs} ms: ${err}`)) }, timeoutMs)
    createInterface({ input: child.stdout! }).on('line', l => {
      const v = pick(l)
      if (v !== undefined) { clearTimeout(timer); resolve(v) }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}: ${err}`)) })
  })
  return { child, value }
}

async function stopChild (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const t = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(t)
}

const marked = <T>(l: string): T | undefined => l.startsWith(MARK) ? JSON.parse(l.slice(MARK.length)) as T : undefined


const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}
const f0 = (n: number): string => Number.isFinite(n) ? n.toFixed(0) : '–'

interface TrialResult { tool: Tool, trial: number, firstByteMs: number, firstFrameMs: number, seeksMs: number[], positions: number[], completeMs: number, heldSeeksMs: number[] }

const started = new Date()
const loadAtStart = loadavg()
const machine = machineFacts({ fixtures: join(BENCH_DIR, 'fixtures') })
const work = await mkdtemp(join(tmpdir(), 'oht-bench-stream-'))
const daemons: Daemon[] = []
const wtSeeders: ChildProcess[] = []
const results: TrialResult[] = []
const failures: string[] = []
let fixture = ''
let fileBytes = 0
let localSeekMs: number[] = []
try {
  fixture = join(BENCH_DIR, 'fixtures', `stream-${seconds}s-${kbps}k.mp4`)
  await mkdir(dirname(fixture), { recursive: true })
  try {
    fileBytes = (await stat(fixture)).size
    note(`fixture ${fixture} (reused)`)
  } catch {
    note(`fixture ${fixture}: encoding ${seconds} s of H.264/AAC at ${kbps} kbit/s ...`)
    fileBytes = await makeMp4(fixture, seconds, kbps)
  }
  const info = await probe(fixture)
  note(`  ${(fileBytes / 2 ** 20).toFixed(1)} MiB, ${info.duration.toFixed(1)} s, ${info.codecs.join('+')}, moov at the end`)

  // Seek positions: fractions of the file over 20–95 %, the same list for both tools.
  const rand = prng(0x5eed)
  const positions = Array.from({ length: trials }, () => Array.from({ length: seeksPerTrial }, () => 0.2 + rand() * 0.75))
  localSeekMs = []
  for (const p of positions.flat().slice(0, 6)) localSeekMs.push(await decodeMs(fixture, p * info.duration))

  let link = ''
  if (tools.includes('oht')) {
    note(`oht: ${seederCount} seeder daemons, --max-upload ${opts.rate} each ...`)
    // A share's id covers its creation time: one unthrottled owner shares the file, the seeders
    // fetch it from the owner (then seed it), and the owner stops before anything is measured.
    const owner = await startDaemon(join(work, 'oht-owner'))
    link = (await new DaemonClient(apiSocket(owner.dataDir)).share([fixture], { blockSize: 256 * 1024 })).link
    for (let i = 0; i < seederCount; i++) {
      const d = await startDaemon(join(work, `oht-seed${i}`), ['--max-upload', opts.rate])
      daemons.push(d)
      await new DaemonClient(apiSocket(d.dataDir)).fetch(link, { output: join(work, `oht-seed${i}-files`), peers: [owner.address] })
    }
    await owner.stop()
  }
  const wtPorts: number[] = []
  const torrentPath = join(work, 'stream.torrent')
  if (tools.includes('webtorrent')) {
    note(`webtorrent: ${seederCount} seeders, throttleUpload(${rate}) each ...`)
    for (let i = 0; i < seederCount; i++) {
      const args: WtSeedArgs = i === 0 ? { file: fixture, torrentOut: torrentPath, rate } : { file: fixture, torrentIn: torrentPath, rate }
      const { child, value } = await spawnUntil(`webtorrent seeder ${i}`, [SELF, '--role', 'wt-seed', JSON.stringify(args)], l => marked<{ port: number }>(l))
      wtSeeders.push(child)
      wtPorts.push(value.port)
    }
  }

  for (let trial = 0; trial < trials; trial++) {
    const order = trial % 2 === 0 ? tools : [...tools].reverse()
    for (const tool of order) {
      const dir = await mkdtemp(join(work, `${tool}-${trial}-`))
      const t0 = performance.now()
      let child: ChildProcess | undefined
      try {
        let url: string
        let done: Promise<number> | undefined
        if (tool === 'oht') {
          const s = await spawnUntil('oht stream', [OHT_BIN, '--data-dir', join(dir, 'data'), '--transport', 'tcp', 'stream', link,
            ...daemons.flatMap(d => ['--peer', d.address]), '-o', join(dir, 'out')], l => l.startsWith('http://') ? l : undefined)
          done = new Promise(resolve => { s.child.stderr!.on('data', (d: Buffer) => { if (d.toString().includes('download complete')) resolve(performance.now()) }) })
          child = s.child
          url = s.value
        } else {
          const s = await spawnUntil('webtorrent leecher', [SELF, '--role', 'wt-leech', JSON.stringify({ torrent: torrentPath, outDir: join(dir, 'out'), peers: wtPorts } satisfies WtLeechArgs)], l => marked<{ url: string }>(l)?.url)
          done = new Promise(resolve => { createInterface({ input: s.child.stdout! }).on('line', l => { if (marked<{ done?: boolean }>(l)?.done === true) resolve(performance.now()) }) })
          child = s.child
          url = s.value
        }
        const firstByte = (performance.now() - t0) + await firstBytesMs(url)
        await decodeMs(url)
        const firstFrame = performance.now() - t0
        const seeks: number[] = []
        for (const p of positions[trial]!) seeks.push(await firstBytesMs(url, Math.floor(p * fileBytes), SEEK_BYTES))
        // How long the whole download took, from the spawn (the seeks ran meanwhile).
        const completeMs = await Promise.race([done!.then(at => at - t0), new Promise<number>(resolve => setTimeout(() => { resolve(NaN) }, 120_000).unref())])
        // The same seeks once everything is on disk: the server's own cost, with no network wait.
        const heldSeeks: number[] = []
        for (const p of positions[trial]!) heldSeeks.push(await firstBytesMs(url, Math.floor(p * fileBytes), SEEK_BYTES))
        results.push({ tool, trial, firstByteMs: firstByte, firstFrameMs: firstFrame, seeksMs: seeks, positions: positions[trial]!, completeMs, heldSeeksMs: heldSeeks })
        note(`  trial ${trial + 1}/${trials} ${tool.padEnd(10)} first byte ${f0(firstByte)} ms, first frame ${f0(firstFrame)} ms, seeks ${seeks.map(f0).join(', ')} ms, complete ${f0(completeMs)} ms, seeks when complete ${heldSeeks.map(f0).join(', ')} ms`)
      } catch (err) {
        failures.push(`${tool} trial ${trial + 1}: ${(err as Error).message.split('\n')[0]}`)
        note(`  trial ${trial + 1}/${trials} ${tool}: FAILED ${(err as Error).message}`)
      } finally {
        if (child != null) await stopChild(child)
        await rm(dir, { recursive: true, force: true })
      }
    }
  }
} finally {
  for (const c of wtSeeders) await stopChild(c)
  for (const d of daemons) await d.stop()
  await rm(work, { recursive: true, force: true })
}

// ---- report ----
interface Summary { tool: Tool, trials: number, firstByteMs: number, firstFrameMs: number, seekP50Ms: number, seekP95Ms: number, seeks: number, completeMs: number, heldSeekP50Ms: number }
const summaries: Summary[] = tools.map(tool => {
  const rs = results.filter(r => r.tool === tool)
  const seeks = rs.flatMap(r => r.seeksMs)
  return {
    tool,
    trials: rs.length,
    firstByteMs: quantile(rs.map(r => r.firstByteMs), 0.5),
    firstFrameMs: quantile(rs.map(r => r.firstFrameMs), 0.5),
    seekP50Ms: quantile(seeks, 0.5),
    seekP95Ms: quantile(seeks, 0.95),
    seeks: seeks.length,
    completeMs: quantile(rs.map(r => r.completeMs), 0.5),
    heldSeekP50Ms: quantile(rs.flatMap(r => r.heldSeeksMs), 0.5)
  }
})
const o = summaries.find(s => s.tool === 'oht')
const w = summaries.find(s => s.tool === 'webtorrent')
const seekRatio = o != null && w != null ? o.seekP50Ms / w.seekP50Ms : undefined
const command = `node bench/stream.ts ${process.argv.slice(2).join(' ')}`.trim()
say()
say(`## stream: ${(fileBytes / 2 ** 20).toFixed(1)} MiB H.264/AAC MP4 (moov at the end), ${seederCount} seeders at ${opts.rate}/s each, ${trials} fresh leechers per tool — ${started.toISOString()}`)
say()
say(`machine: ${machine.cpuModel}; ${machine.logicalCpus} logical CPUs; Node ${machine.node}; load average at start ${loadAtStart.map(x => x.toFixed(2)).join(', ')}`)
say(`command: ${command}`)
say()
say('| tool | time to first byte ms (median) | time to first frame ms (median) | seek p50 ms | seek p95 ms | seeks | download complete ms (median) | seek p50 ms once complete |')
say('|---|---:|---:|---:|---:|---:|---:|---:|')
for (const s of summaries) say(`| ${s.tool} | ${f0(s.firstByteMs)} | ${f0(s.firstFrameMs)} | ${f0(s.seekP50Ms)} | ${f0(s.seekP95Ms)} | ${s.seeks} | ${f0(s.completeMs)} | ${f0(s.heldSeekP50Ms)} |`)
say()
say(`- ffmpeg's own cost (\`ffmpeg -ss T -frames:v 1\` on the local file, p50 ${f0(quantile(localSeekMs, 0.5))} ms) is inside both tools' first-frame figures.`)
say('- first byte / first frame: from the leecher\'s spawn (Node start included for both); first frame: `ffmpeg -i URL -frames:v 1` exits (it read the head, the index at the end, then the first frames).')
say(`- seek: a new connection with \`Range: bytes=X-\` at a random offset (20–95 % of the file, the same offsets for both tools, the previous connection dropped), until ${SEEK_BYTES / 1024} KiB of it arrived.`)
if (seekRatio != null) say(`- seek p50 oht / WebTorrent: ${seekRatio.toFixed(2)} (target <= 0.5: ${seekRatio <= 0.5 ? 'MET' : 'MISSED'})`)
if (failures.length > 0) { say(); say('failures:'); for (const f of failures) say(`- ${f}`) }
if (opts.json) process.stdout.write(JSON.stringify({ bench: 'stream', date: started.toISOString(), command, machine, fileBytes, seeders: seederCount, rate, results: summaries, trials: results, localSeekMs, seekRatio, failures }, null, 2) + '\n')
process.exitCode = failures.length > 0 ? 1 : 0
