// Benchmark: fetching a generated file over loopback TCP, oht against WebTorrent, in one run.
//
//   node bench/swarm.ts [--sizes 256MiB,1GiB] [--runs 1] [--only webtorrent|oht] [--shapes 1,4]
//                       [--json] [--port-base 47100] [--timeout 600] [--setup-timeout 300]
//                       [--tcp-bytes 1GiB]
//
// `--only oht,oht-enc` compares oht's leecher with and without `fetch --encrypted-parts` (blocks
// kept as ciphertext, one decryption pass at the end), from the same seeders, alternating.
//
// Shapes: N→1 is N seeder processes and one leecher process, the same N for both tools. Every
// peer is its own process; peers meet only by address on 127.0.0.1 (WebTorrent: DHT, trackers,
// LSD, µTP, PEX, web seeds and NAT mapping off, `torrent.addPeer`; oht: `--transport tcp`,
// `--peer tcp:127.0.0.1:PORT`). Seeders are set up before anything is timed (WebTorrent: the first
// seeder hashes the file, the others load its .torrent over the same file; oht: seeder 1 shares
// the file through its daemon, the others fetch it from seeder 1 through theirs) and stay up for
// every run of a size; the 4→1 shape adds seeders 2–4 to the 1→1 one. Leecher runs of the two
// tools alternate round by round. For each leecher: MiB/s over the tool's own transfer time (see
// lib/swarm-side.ts) and over the whole process, CPU time and peak RSS of the whole process (GNU
// time), and the SHA-256 of what it wrote checked against the source. Also measured in the same
// run: the loopback TCP limit (one socket between two processes, 1 MiB writes).
// It is a benchmark: it reports figures and whether targets were met; it asserts nothing. It
// exits non-zero only when a run failed or fetched wrong bytes. Every process it started is
// killed at the end, also on error or Ctrl-C.
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { ensureCurrentBuild } from './lib/build.ts'
import { ensureFixture, warmCache } from './lib/fixture.ts'
import { machineFacts } from './lib/machine.ts'
import { ProcGroup, hasGnuTime } from './lib/swarm-proc.ts'
import { OhtEncryptedPartsSide, OhtSide } from './lib/swarm-side-oht.ts'
import { WebTorrentSide } from './lib/swarm-side-webtorrent.ts'
import { sha256File, type LeechResult, type Side, type Tool } from './lib/swarm-side.ts'
import { measureLoopbackTcp, type TcpResult } from './lib/swarm-tcp.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(BENCH_DIR, '..')
const MiB = 2 ** 20
const GiB = 2 ** 30

const TARGETS = { ratio: 2, rssMiB: 120, rssAtBytes: GiB }
const TOOLS: Tool[] = ['webtorrent', 'oht']
const ALL_TOOLS: Tool[] = [...TOOLS, 'oht-enc']

function usage (): never {
  process.stderr.write('usage: node bench/swarm.ts [--sizes 256MiB,1GiB] [--runs 1] [--only webtorrent|oht|oht-enc] [--shapes 1,4] [--json]\n' +
    '                           [--port-base 47100] [--timeout 600] [--setup-timeout 300] [--tcp-bytes 1GiB]\n')
  process.exit(2)
}

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string', default: '256MiB,1GiB' },
    runs: { type: 'string', default: '1' },
    only: { type: 'string' },
    shapes: { type: 'string', default: '1,4' },
    json: { type: 'boolean', default: false },
    'port-base': { type: 'string', default: '47100' },
    timeout: { type: 'string', default: '600' },
    'setup-timeout': { type: 'string', default: '300' },
    'tcp-bytes': { type: 'string', default: '1GiB' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (opts.help) usage()
const list = (s: string): string[] => s.split(',').map(x => x.trim()).filter(x => x !== '')
const sizes = list(opts.sizes).map(parseSize)
const runs = Number(opts.runs)
const shapes = [...new Set(list(opts.shapes).map(Number))].sort((a, b) => a - b)
const tools = opts.only != null ? list(opts.only).map(t => ALL_TOOLS.find(x => x === t) ?? usage()) : TOOLS
const portBase = Number(opts['port-base'])
const leechTimeoutMs = Number(opts.timeout) * 1000
const setupTimeoutMs = Number(opts['setup-timeout']) * 1000
const tcpBytes = parseSize(opts['tcp-bytes'])
if (sizes.length === 0 || sizes.some(s => !(s > 0)) || !Number.isInteger(runs) || runs < 1 ||
  shapes.length === 0 || shapes.some(n => !Number.isInteger(n) || n < 1 || n > 9) || tools.length === 0 ||
  !Number.isInteger(portBase) || portBase < 1024 || portBase > 65000 || !(leechTimeoutMs > 0) || !(setupTimeoutMs > 0) || !(tcpBytes > 0)) usage()
const maxSeeders = shapes.at(-1)!
const PORTS: Record<Tool, number[]> = {
  webtorrent: Array.from({ length: maxSeeders }, (_, i) => portBase + 1 + i),
  oht: Array.from({ length: maxSeeders }, (_, i) => portBase + 11 + i),
  'oht-enc': [] // the oht seeders
}

// With --json, stdout carries only the JSON summary; everything for people goes to stderr.
const say = (line = ''): void => { (opts.json ? process.stderr : process.stdout).write(`${line}\n`) }
const note = (line: string): void => { process.stderr.write(`${line}\n`) }

function sizeLabel (n: number): string {
  for (const [unit, v] of [['GiB', GiB], ['MiB', MiB], ['KiB', 1024]] as const) if (n % v === 0) return `${n / v}${unit}`
  return `${n}B`
}
const shapeLabel = (n: number): string => `${n}→1`
function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}
const f0 = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 })
const f2 = (n: number): string => n.toFixed(2)
const errorText = (err: unknown): string => err instanceof Error ? err.message : String(err)

async function portFree (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const s = createServer()
    s.once('error', () => resolve(false))
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)))
  })
}

interface Run extends LeechResult {
  tool: Tool
  size: number
  seeders: number
  round: number
  sha256Ok: boolean
  /** 1-minute load average just before the run: other work on the machine skews it. */
  loadBefore: number
}

interface Failure { tool: Tool, size: number, seeders: number | undefined, round: number | undefined, error: string }

// ---- setup ----
const started = new Date()
const loadAtStart = loadavg()
ensureCurrentBuild(ROOT)
const command = `node bench/swarm.ts ${process.argv.slice(2).join(' ')}`.trim()
const machine = machineFacts({ fixtures: join(BENCH_DIR, 'fixtures') })
const gnuTime = hasGnuTime()
if (!gnuTime) note('GNU time not found at /usr/bin/time (Debian: apt-get install -y time): measuring leechers with bench/lib/rusage-hook.ts instead')
for (const tool of tools) {
  for (const port of PORTS[tool]) if (!await portFree(port)) throw new Error(`127.0.0.1:${port} is in use (needed by a ${tool} seeder); pick other ports with --port-base`)
}

const group = new ProcGroup()
const workRoot = await mkdtemp(join(tmpdir(), 'oht-bench-swarm-'))
// Also on Ctrl-C or a crash: end every peer first, then remove what they wrote.
process.on('exit', () => {
  group.killAllNow()
  try { rmSync(workRoot, { recursive: true, force: true, maxRetries: 3 }) } catch { /* best effort */ }
})
const results: Run[] = []
const failures: Failure[] = []
const setups: Array<{ tool: Tool, size: number, seeders: number, seconds: number, detail: string }> = []
const inputs: Array<{ file: string, bytes: number, sha256: string, generated: boolean, warmReadMiBps: number }> = []
let tcp: { runs: TcpResult[], mibPerSecond: number } | undefined

try {
  note(`loopback TCP limit: one socket between two processes, 1 MiB writes, ${sizeLabel(tcpBytes)} × 3 ...`)
  const tcpRuns: TcpResult[] = []
  for (let i = 0; i < 3; i++) tcpRuns.push(await measureLoopbackTcp(group, tcpBytes, ROOT))
  tcp = { runs: tcpRuns, mibPerSecond: median(tcpRuns.map(r => r.mibPerSecond)) }
  note(`  ${tcpRuns.map(r => f0(r.mibPerSecond)).join(', ')} MiB/s`)

  for (const size of sizes) {
    const fixture = join(BENCH_DIR, 'fixtures', `swarm-${sizeLabel(size)}.bin`)
    note(`fixture ${relative(ROOT, fixture)} (${sizeLabel(size)}) ...`)
    const made = await ensureFixture(fixture, size)
    note(made.generated ? `  generated in ${f2(made.seconds)} s` : '  reused (right size and content)')
    const sourceSha = await sha256File(fixture)
    const warmMiBps = await warmCache(fixture)
    note(`  SHA-256 ${sourceSha}; read once more to warm the page cache: ${f0(warmMiBps)} MiB/s`)
    inputs.push({ file: relative(ROOT, fixture), bytes: size, sha256: sourceSha, generated: made.generated, warmReadMiBps: warmMiBps })

    const sizeDir = await mkdtemp(join(workRoot, `${sizeLabel(size)}-`))
    const ohtSide = new OhtSide({ group, cwd: ROOT, file: fixture, ports: PORTS.oht, workDir: sizeDir, gnuTime, setupTimeoutMs, leechTimeoutMs })
    const sides: Side[] = tools.map(tool => tool === 'webtorrent'
      ? new WebTorrentSide({ group, cwd: ROOT, file: fixture, ports: PORTS.webtorrent, workDir: sizeDir, gnuTime, setupTimeoutMs, leechTimeoutMs })
      : tool === 'oht' ? ohtSide : new OhtEncryptedPartsSide(ohtSide))
    const broken = new Set<Tool>()
    try {
      for (const n of shapes) {
        for (const side of sides) {
          if (broken.has(side.tool)) continue
          note(`  ${side.tool}: starting seeders for ${shapeLabel(n)} ...`)
          try {
            const setup = await side.ensureSeeders(n)
            if (setup != null) {
              setups.push({ tool: side.tool, size, ...setup })
              note(`    ready in ${f2(setup.seconds)} s: ${setup.detail}`)
            }
          } catch (err) {
            broken.add(side.tool)
            failures.push({ tool: side.tool, size, seeders: n, round: undefined, error: `seeder setup: ${errorText(err)}` })
            note(`    ${side.tool} seeders failed; skipping ${side.tool} for ${sizeLabel(size)}:\n${errorText(err)}`)
            await side.stop()
          }
        }
        for (let round = 1; round <= runs; round++) {
          for (const side of sides) {
            if (broken.has(side.tool)) continue
            const runDir = await mkdtemp(join(sizeDir, `run-${side.tool}-`))
            const loadBefore = loadavg()[0]!
            try {
              const r = await side.leech(n, runDir)
              const sha = await sha256File(r.outputPath)
              const run: Run = { ...r, tool: side.tool, size, seeders: n, round, sha256Ok: sha === sourceSha && r.bytes === size, loadBefore }
              results.push(run)
              if (!run.sha256Ok) failures.push({ tool: side.tool, size, seeders: n, round, error: `fetched ${r.bytes} bytes with SHA-256 ${sha}, expected ${size} bytes with ${sourceSha}` })
              note(`  ${sizeLabel(size)} ${shapeLabel(n)} round ${round}/${runs} ${side.tool.padEnd(10)} ${f0(size / MiB / r.seconds).padStart(6)} MiB/s  ${f2(r.seconds)} s (process ${f2(r.e2eSeconds)} s)  cpu ${f2(r.usage.userSeconds + r.usage.systemSeconds)} s  rss ${f0(r.usage.maxRssKiB / 1024)} MiB  sha256 ${run.sha256Ok ? 'ok' : 'MISMATCH'}  load ${f2(loadBefore)}`)
            } catch (err) {
              failures.push({ tool: side.tool, size, seeders: n, round, error: errorText(err) })
              note(`  ${sizeLabel(size)} ${shapeLabel(n)} round ${round}/${runs} ${side.tool}: FAILED\n${errorText(err)}`)
            } finally {
              await rm(runDir, { recursive: true, force: true })
              spawnSync('sync', { timeout: 60_000 }) // flush what the leecher wrote before the next run (not timed)
            }
          }
        }
      }
    } finally {
      await Promise.all(sides.map(s => s.stop()))
      await rm(sizeDir, { recursive: true, force: true })
    }
  }
} finally {
  await group.stopAll()
  await rm(workRoot, { recursive: true, force: true })
}

// ---- report ----
const loadAtEnd = loadavg()
interface Summary {
  tool: Tool
  size: number
  seeders: number
  runs: number
  mibPerSecond: number
  mibPerSecondMin: number
  mibPerSecondMax: number
  e2eMibPerSecond: number
  cpuSeconds: number
  peakRssMiB: number
  peakRssMiBMax: number
  sha256Ok: boolean
}
const summaries: Summary[] = []
for (const size of sizes) {
  for (const n of shapes) {
    for (const tool of tools) {
      const rs = results.filter(r => r.tool === tool && r.size === size && r.seeders === n)
      if (rs.length === 0) continue
      const rates = rs.map(r => size / MiB / r.seconds)
      const rss = rs.map(r => r.usage.maxRssKiB / 1024)
      summaries.push({
        tool,
        size,
        seeders: n,
        runs: rs.length,
        mibPerSecond: median(rates),
        mibPerSecondMin: Math.min(...rates),
        mibPerSecondMax: Math.max(...rates),
        e2eMibPerSecond: median(rs.map(r => size / MiB / r.e2eSeconds)),
        cpuSeconds: median(rs.map(r => r.usage.userSeconds + r.usage.systemSeconds)),
        peakRssMiB: median(rss),
        peakRssMiBMax: Math.max(...rss),
        sha256Ok: rs.every(r => r.sha256Ok)
      })
    }
  }
}
const find = (tool: Tool, size: number, n: number): Summary | undefined => summaries.find(s => s.tool === tool && s.size === size && s.seeders === n)
const ratios: Array<{ size: number, seeders: number, ratio: number, e2eRatio: number, met: boolean }> = []
for (const size of sizes) {
  for (const n of shapes) {
    const o = find('oht', size, n)
    const w = find('webtorrent', size, n)
    if (o != null && w != null) {
      const ratio = o.mibPerSecond / w.mibPerSecond
      ratios.push({ size, seeders: n, ratio, e2eRatio: o.e2eMibPerSecond / w.e2eMibPerSecond, met: ratio >= TARGETS.ratio })
    }
  }
}
const ohtRss = summaries.filter(s => s.tool === 'oht' && s.size === TARGETS.rssAtBytes)
const rssTarget = ohtRss.length > 0
  ? { value: Math.max(...ohtRss.map(s => s.peakRssMiBMax)), target: `<= ${TARGETS.rssMiB} MiB at ${sizeLabel(TARGETS.rssAtBytes)}`, met: Math.max(...ohtRss.map(s => s.peakRssMiBMax)) <= TARGETS.rssMiB }
  : undefined

say()
say(`## swarm: ${sizes.map(sizeLabel).join(', ')} over loopback TCP, shapes ${shapes.map(shapeLabel).join(', ')}, ${runs} run(s) each, medians — ${started.toISOString()}`)
say()
say(`machine: ${machine.cpuModel}; ${machine.logicalCpus} logical CPUs (crypto flags: ${machine.cryptoFlags.join(' ') || 'none'}); ${machine.ramGiB} GiB RAM`)
say(`software: Node ${machine.node}, OpenSSL ${machine.openssl}, ${machine.os}, kernel ${machine.kernel}`)
say(`disk: ${Object.values(machine.diskFree).join('; ')}`)
for (const i of inputs) say(`input: ${i.file} (${sizeLabel(i.bytes)}, AES-256-CTR keystream, page-cache warm), SHA-256 ${i.sha256}`)
if (tcp != null) say(`loopback TCP limit: ${f0(tcp.mibPerSecond)} MiB/s (one socket between two processes, 1 MiB writes, ${sizeLabel(tcpBytes)}, median of ${tcp.runs.length}: ${tcp.runs.map(r => f0(r.mibPerSecond)).join(', ')})`)
say(`load average (1, 5, 15 min): at start ${loadAtStart.map(f2).join(', ')} (other work on the machine skews every figure); at end ${loadAtEnd.map(f2).join(', ')} (includes this benchmark's own peers)`)
say(`leecher CPU and peak RSS: whole process, ${gnuTime ? 'GNU time (%U+%S, %M)' : 'bench/lib/rusage-hook.ts (GNU time missing)'}`)
say(`command: ${command}`)
say()
say('| tool | shape | size | MiB/s (median) | min – max | MiB/s whole process | leecher CPU s | peak RSS MiB | SHA-256 |')
say('|---|---|---|---:|---:|---:|---:|---:|---|')
for (const s of summaries) {
  say(`| ${s.tool} | ${shapeLabel(s.seeders)} | ${sizeLabel(s.size)} | ${f0(s.mibPerSecond)} | ${f0(s.mibPerSecondMin)} – ${f0(s.mibPerSecondMax)} | ${f0(s.e2eMibPerSecond)} | ${f2(s.cpuSeconds)} | ${f0(s.peakRssMiB)} | ${s.sha256Ok ? 'ok' : 'MISMATCH'} |`)
}
say()
say('- MiB/s: file size over the tool\'s own transfer time (WebTorrent: `client.add` to the torrent\'s \'done\'; oht: the `seconds` of `oht fetch --json`); "whole process": over spawn to exit of the leecher (Node start, module loading, teardown included).')
say('- webtorrent: bench/lib/swarm-webtorrent-{seed,leech}.ts, defaults except discovery (DHT, trackers, LSD, µTP, PEX, web seeds, NAT mapping off) and listening on 127.0.0.1; peers added with `torrent.addPeer`.')
say('- oht: the CLI, `oht daemon --transport tcp` seeders, leecher `oht --transport tcp fetch LINK --peer tcp:127.0.0.1:PORT ...` with an embedded node.')
for (const st of setups) say(`- setup ${st.tool} ${sizeLabel(st.size)} → ${st.seeders} seeder(s), ${f2(st.seconds)} s (not timed): ${st.detail}`)
const wtRun = results.find(r => r.tool === 'webtorrent')
if (wtRun != null) say(`- WebTorrent wire encryption negotiated (1 plaintext, 2 RC4): ${JSON.stringify(wtRun.extra.encryptionPerPeer)}`)
for (const r of results.filter(r => r.tool === 'webtorrent' && r.seeders > 1)) say(`- WebTorrent ${sizeLabel(r.size)} ${shapeLabel(r.seeders)} round ${r.round}: bytes per seeder ${JSON.stringify(r.extra.downloadedPerPeer)}`)
say()
say('ratios (oht / WebTorrent, median MiB/s):')
for (const r of ratios) say(`- ${sizeLabel(r.size)} ${shapeLabel(r.seeders)}: ${f2(r.ratio)} (target >= ${TARGETS.ratio}: ${r.met ? 'MET' : 'MISSED'}); whole process ${f2(r.e2eRatio)}`)
if (ratios.length === 0) say('- none (needs both tools)')
for (const size of sizes) {
  for (const n of shapes) {
    const plain = find('oht', size, n)
    const enc = find('oht-enc', size, n)
    if (plain != null && enc != null) say(`- oht fetch --encrypted-parts / plain parts ${sizeLabel(size)} ${shapeLabel(n)}: ${f2(enc.mibPerSecond / plain.mibPerSecond)} (cost ${f0(100 * (1 - enc.mibPerSecond / plain.mibPerSecond))} %); whole process ${f2(enc.e2eMibPerSecond / plain.e2eMibPerSecond)}`)
  }
}
if (rssTarget != null) say(`- oht leecher peak RSS at ${sizeLabel(TARGETS.rssAtBytes)}: ${f0(rssTarget.value)} MiB, worst run (target ${rssTarget.target}: ${rssTarget.met ? 'MET' : 'MISSED'})`)
if (tcp != null) {
  for (const s of summaries) if (s.seeders === shapes[0] && s.size === sizes.at(-1)) say(`- ${s.tool} ${shapeLabel(s.seeders)} ${sizeLabel(s.size)} / loopback TCP limit: ${f2(s.mibPerSecond / tcp.mibPerSecond)}`)
}
if (failures.length > 0) {
  say()
  say('failures:')
  for (const f of failures) say(`- ${f.tool} ${sizeLabel(f.size)}${f.seeders != null ? ` ${shapeLabel(f.seeders)}` : ''}${f.round != null ? ` round ${f.round}` : ''}: ${f.error.split('\n')[0]}`)
}

if (opts.json) {
  process.stdout.write(`${JSON.stringify({
    bench: 'swarm',
    date: started.toISOString(),
    command,
    machine,
    measuredWith: gnuTime ? 'gnu-time' : 'rusage-hook',
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    loopbackTcp: tcp,
    inputs,
    runs,
    setups,
    results: summaries,
    runsDetail: results.map(({ outputPath: _p, ...r }) => r),
    ratios,
    targets: { ratio: `>= ${TARGETS.ratio} in every shape`, ratiosMet: ratios.length > 0 && ratios.every(r => r.met), rss: rssTarget },
    failures
  }, null, 2)}\n`)
}
process.exitCode = failures.length > 0 ? 1 : 0
