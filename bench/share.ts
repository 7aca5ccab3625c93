// Benchmark: `oht share` of a generated file against the machine's native limit and Helia.
//
//   node bench/share.ts [--size 1GiB] [--runs 3] [--json] [--only native,oht,helia-fs,...]
//                       [--block-size 256KiB] [--helia-memory] [--cpu-prof] [--settle 60]
//
// --json prints a JSON summary on stdout (the table goes to stderr); --cpu-prof writes V8 CPU
// profiles of the oht child (main thread and each worker) to bench/fixtures/profiles/.
//
// Every contender runs alone in its own child process (bench/lib/*.ts), which times its own work
// (wall, CPU of all threads, peak RSS) and prints one JSON line; runs are interleaved round by
// round so drift on the machine hits every contender alike. The input is generated once under
// bench/fixtures/ and read once before measuring, so all runs read it from the page cache.
// It is a benchmark: it reports figures and whether targets were met; it asserts nothing.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { ensureCurrentBuild } from './lib/build.ts'
import { ensureFixture, warmCache } from './lib/fixture.ts'
import { machineFacts, waitForIdle, type MachineFacts } from './lib/machine.ts'
import { machineBusySeconds, RESULT_MARK, type ChildArgs, type ChildResult } from './lib/measure.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(BENCH_DIR, '..')
ensureCurrentBuild(ROOT)
const MiB = 2 ** 20

const TARGETS = { heliaRatio: 2, nativeRatio: 0.7, rssMiB: 150 }

interface Contender {
  name: string
  what: string
  /** A bench/lib script run as a child, or the real CLI. */
  kind: 'script' | 'cli'
  script?: string
  args?: Partial<ChildArgs>
}

const READ = 4 * MiB // read size for Helia's stream, the same as oht's reader (Node's default is 64 KiB)
const CONTENDERS: Contender[] = [
  { name: 'native', what: 'native limit, 1 thread: read 4 MiB chunks, AES-256-GCM + SHA-256 per 256 KiB block (node:crypto)', kind: 'script', script: 'native.ts' },
  { name: 'native-2t', what: 'native ceiling with 2 worker threads, each doing the above on half the file (reference only)', kind: 'script', script: 'native.ts', args: { threads: 2 } },
  { name: 'oht', what: 'oht: OhtNode.open (fresh data dir: makes keys) + share + close, in process', kind: 'script', script: 'oht.ts' },
  { name: 'oht-cli', what: 'oht CLI: `node bin/oht.js --data-dir D --json share FILE`, end to end incl. process start', kind: 'cli' },
  { name: 'helia-fs', what: '@helia/unixfs addByteStream → blockstore-fs on disk; chunks of --block-size (256 KiB), CIDv1 raw leaves, 4 MiB reads', kind: 'script', script: 'helia.ts', args: { store: 'fs', readSize: READ, label: 'helia-fs' } },
  { name: 'helia-fs-64k', what: 'as helia-fs, but fs.createReadStream defaults (64 KiB reads), as Helia\'s globSource does', kind: 'script', script: 'helia.ts', args: { store: 'fs', readSize: 64 * 1024, label: 'helia-fs-64k' } },
  { name: 'helia-fs-1mib', what: 'as helia-fs, with Helia\'s own default chunking (1 MiB chunks, 1024 links per node)', kind: 'script', script: 'helia.ts', args: { store: 'fs', chunkSize: MiB, readSize: READ, label: 'helia-fs-1mib' } },
  { name: 'helia-null', what: 'as helia-fs, into a BlackHoleBlockstore: no block writes (oht writes no blocks either)', kind: 'script', script: 'helia.ts', args: { store: 'null', readSize: READ, label: 'helia-null' } },
  { name: 'helia-memory', what: 'as helia-fs, into a MemoryBlockstore (RSS grows with the file; opt-in)', kind: 'script', script: 'helia.ts', args: { store: 'memory', readSize: READ, label: 'helia-memory' } }
]

interface Summary {
  name: string
  what: string
  runs: ChildResult[]
  mibPerSecond: number
  mibPerSecondMin: number
  mibPerSecondMax: number
  wallSeconds: number
  cpuSeconds: number
  peakRssMiB: number
  peakRssMiBMax: number
  /** Median CPU seconds the rest of the machine used during a run (noise, kernel writeback). */
  otherCpuSeconds: number | undefined
}

function usage (): never {
  process.stderr.write('usage: node bench/share.ts [--size 1GiB] [--runs 3] [--json] [--only native,native-2t,oht,oht-cli,helia-fs,helia-fs-64k,helia-fs-1mib,helia-null,helia-memory]\n' +
    '                          [--block-size 256KiB] [--helia-memory] [--cpu-prof] [--settle SECONDS]\n' +
    '  --settle: before each run, wait up to SECONDS for the machine to go idle (<5% busy); 0 skips\n' +
    '  --cpu-prof: V8 CPU profiles of the oht child to bench/fixtures/profiles/\n')
  process.exit(2)
}

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '1GiB' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    'block-size': { type: 'string', default: '256KiB' },
    'helia-memory': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    settle: { type: 'string', default: '60' },
    help: { type: 'boolean', short: 'h', default: false }
  }
})
if (opts.help) usage()
const size = parseSize(opts.size)
const runs = Number(opts.runs)
const blockSize = parseSize(opts['block-size'])
const settle = Number(opts.settle)
if (!(size > 0) || !Number.isInteger(runs) || runs < 1 || !(blockSize > 0) || !(settle >= 0)) usage()
const IDLE = 0.05
const chosen = opts.only != null ? opts.only.split(',').map(s => s.trim()) : CONTENDERS.filter(c => c.name !== 'helia-memory' || opts['helia-memory']).map(c => c.name)
const contenders = chosen.map(name => CONTENDERS.find(c => c.name === name) ?? usage())

// With --json, stdout carries only the JSON summary; everything for people goes to stderr.
const say = (line = ''): void => { (opts.json ? process.stderr : process.stdout).write(`${line}\n`) }
const note = (line: string): void => { process.stderr.write(`${line}\n`) }

function sizeLabel (n: number): string {
  for (const [unit, v] of [['GiB', 2 ** 30], ['MiB', MiB], ['KiB', 1024]] as const) if (n % v === 0) return `${n / v}${unit}`
  return `${n}B`
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

async function collect (child: ReturnType<typeof spawn>): Promise<{ code: number | null, stdout: string, stderr: string }> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', resolve)
  })
  return { code, stdout, stderr }
}

async function runScript (c: Contender, file: string, tmpDir: string): Promise<ChildResult> {
  const args: ChildArgs = { file, tmpDir, blockSize, chunkSize: blockSize, ...c.args }
  const flags = opts['cpu-prof'] && c.name === 'oht' ? ['--cpu-prof', '--cpu-prof-dir', join(BENCH_DIR, 'fixtures', 'profiles')] : []
  const child = spawn(process.execPath, [...flags, join(BENCH_DIR, 'lib', c.script!), JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const { code, stdout, stderr } = await collect(child)
  const line = stdout.split('\n').find(l => l.startsWith(RESULT_MARK))
  if (code !== 0 || line == null) throw new Error(`${c.name} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`)
  return JSON.parse(line.slice(RESULT_MARK.length)) as ChildResult
}

/** The real CLI; wall time seen from here (process start included), CPU and RSS via a preloaded hook. */
async function runCli (c: Contender, file: string, tmpDir: string): Promise<ChildResult> {
  const rusageOut = join(tmpDir, 'rusage.json')
  const busy0 = machineBusySeconds()
  const t0 = performance.now()
  const child = spawn(process.execPath, [
    '--import', pathToFileURL(join(BENCH_DIR, 'lib', 'rusage-hook.ts')).href,
    join(ROOT, 'bin', 'oht.js'), '--data-dir', join(tmpDir, 'data'), '--json', 'share', file
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_RUSAGE_OUT: rusageOut } })
  const { code, stdout, stderr } = await collect(child)
  const wallSeconds = (performance.now() - t0) / 1000
  const busy1 = machineBusySeconds()
  if (code !== 0) throw new Error(`${c.name} failed (exit ${code}):\n${stderr.trim() || stdout.trim()}`)
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { bytes?: number, id?: string }
  const usage = JSON.parse(await readFile(rusageOut, 'utf8')) as { cpuUserSeconds: number, cpuSystemSeconds: number, maxRssKiB: number, uptimeSeconds: number }
  return {
    contender: c.name,
    bytes: result.bytes ?? 0,
    wallSeconds,
    cpuUserSeconds: usage.cpuUserSeconds,
    cpuSystemSeconds: usage.cpuSystemSeconds,
    maxRssKiB: usage.maxRssKiB,
    ...(busy0 != null && busy1 != null ? { otherCpuSeconds: Math.max(0, busy1 - busy0 - usage.cpuUserSeconds - usage.cpuSystemSeconds) } : {}),
    extra: { id: result.id, processUptimeSeconds: usage.uptimeSeconds }
  }
}

function summarize (c: Contender, results: ChildResult[]): Summary {
  const rates = results.map(r => r.bytes / MiB / r.wallSeconds)
  const rss = results.map(r => r.maxRssKiB / 1024)
  return {
    name: c.name,
    what: c.what,
    runs: results,
    mibPerSecond: median(rates),
    mibPerSecondMin: Math.min(...rates),
    mibPerSecondMax: Math.max(...rates),
    wallSeconds: median(results.map(r => r.wallSeconds)),
    cpuSeconds: median(results.map(r => r.cpuUserSeconds + r.cpuSystemSeconds)),
    peakRssMiB: median(rss),
    peakRssMiBMax: Math.max(...rss),
    otherCpuSeconds: results.every(r => r.otherCpuSeconds != null) ? median(results.map(r => r.otherCpuSeconds!)) : undefined
  }
}

const f0 = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 })
const f2 = (n: number): string => n.toFixed(2)

// ---- setup ----
const fixture = join(BENCH_DIR, 'fixtures', `share-${sizeLabel(size)}.bin`)
const machine: MachineFacts = machineFacts({ fixtures: join(BENCH_DIR, 'fixtures') })
const started = new Date()
const command = `node bench/share.ts ${process.argv.slice(2).join(' ')}`.trim()

note(`fixture ${relative(ROOT, fixture)} (${sizeLabel(size)}) ...`)
const made = await ensureFixture(fixture, size)
note(made.generated ? `  generated in ${f2(made.seconds)} s` : '  reused (right size and content)')
const warmMiBps = await warmCache(fixture)
note(`  read once to warm the page cache: ${f0(warmMiBps)} MiB/s`)
if (size > machine.freeRamGiB * 2 ** 30 * 0.5) note(`  warning: the file is more than half the free RAM (${machine.freeRamGiB} GiB); runs may read from disk`)

const results = new Map<string, ChildResult[]>(contenders.map(c => [c.name, []]))
let busyStarts = 0
for (let round = 1; round <= runs; round++) {
  for (const c of contenders) {
    const busyBefore = settle > 0 ? await waitForIdle(IDLE, settle) : undefined
    if (busyBefore != null && busyBefore >= IDLE) busyStarts++
    const tmpDir = await mkdtemp(join(tmpdir(), `oht-bench-${c.name}-`))
    try {
      const r = c.kind === 'cli' ? await runCli(c, fixture, tmpDir) : await runScript(c, fixture, tmpDir)
      if (r.bytes !== size) throw new Error(`${c.name} consumed ${r.bytes} bytes, expected ${size}`)
      if (busyBefore != null) r.extra.machineBusyBefore = busyBefore
      results.get(c.name)!.push(r)
      note(`  round ${round}/${runs} ${c.name.padEnd(13)} ${f0(r.bytes / MiB / r.wallSeconds).padStart(6)} MiB/s  ${f2(r.wallSeconds)} s  cpu ${f2(r.cpuUserSeconds + r.cpuSystemSeconds)} s  rss ${f0(r.maxRssKiB / 1024)} MiB` +
        `${r.otherCpuSeconds != null ? `  other cpu ${f2(r.otherCpuSeconds)} s` : ''}${busyBefore != null ? `  (machine ${f0(busyBefore * 100)}% busy before)` : ''}`)
    } finally {
      await rm(tmpDir, { recursive: true, force: true })
      spawnSync('sync') // flush what a contender wrote before the next one runs (not timed)
    }
  }
}

// ---- report ----
const summaries = contenders.map(c => summarize(c, results.get(c.name)!))
const byName = new Map(summaries.map(s => [s.name, s]))
const oht = byName.get('oht')
const ratio = (a: string, b: string): number | undefined => {
  const x = byName.get(a)
  const y = byName.get(b)
  return x != null && y != null ? x.mibPerSecond / y.mibPerSecond : undefined
}
const met = (v: number | undefined, ok: (v: number) => boolean): boolean | undefined => v == null ? undefined : ok(v)
const targets = {
  heliaRatio: { value: ratio('oht', 'helia-fs'), target: `>= ${TARGETS.heliaRatio}`, met: met(ratio('oht', 'helia-fs'), v => v >= TARGETS.heliaRatio) },
  nativeRatio: { value: ratio('oht', 'native'), target: `>= ${TARGETS.nativeRatio}`, met: met(ratio('oht', 'native'), v => v >= TARGETS.nativeRatio) },
  peakRssMiB: { value: oht?.peakRssMiBMax, target: `< ${TARGETS.rssMiB}`, met: met(oht?.peakRssMiBMax, v => v < TARGETS.rssMiB) }
}

say()
say(`## share: ${sizeLabel(size)}, ${runs} run(s) each, medians — ${started.toISOString()}`)
say()
say(`machine: ${machine.cpuModel}; ${machine.logicalCpus} logical CPUs${machine.virtualized ? " (virtual machine)" : ""} (crypto flags: ${machine.cryptoFlags.join(' ') || 'none'}); ${machine.ramGiB} GiB RAM`)
say(`software: Node ${machine.node}, OpenSSL ${machine.openssl}, ${machine.os}, kernel ${machine.kernel}`)
say(`disk: ${Object.values(machine.diskFree).join('; ')}`)
say(`input: ${relative(ROOT, fixture)}, AES-256-CTR keystream, page-cache warm (one read before the runs: ${f0(warmMiBps)} MiB/s)`)
say(`command: ${command}`)
say()
say('| contender | MiB/s (median) | min – max | wall s | CPU s (user+sys) | cores busy | peak RSS MiB (median / max) | other CPU s |')
say('|---|---:|---:|---:|---:|---:|---:|---:|')
for (const s of summaries) {
  say(`| ${s.name} | ${f0(s.mibPerSecond)} | ${f0(s.mibPerSecondMin)} – ${f0(s.mibPerSecondMax)} | ${f2(s.wallSeconds)} | ${f2(s.cpuSeconds)} | ${f2(s.cpuSeconds / s.wallSeconds)} | ${f0(s.peakRssMiB)} / ${f0(s.peakRssMiBMax)} | ${s.otherCpuSeconds != null ? f2(s.otherCpuSeconds) : 'n/a'} |`)
}
say()
for (const s of summaries) say(`- ${s.name}: ${s.what}`)
say('- MiB/s = file size / wall time of the run; CPU = process.cpuUsage() (all threads); peak RSS = resourceUsage().maxRSS of the whole process (Node, modules and worker threads included); other CPU = busy time of the rest of the machine during the run (/proc/stat; includes kernel page-cache writeback, so disk writers show some)')
const noisy = summaries.flatMap(s => s.runs.map((r, i) => ({ s, r, i })).filter(({ r }) => (r.otherCpuSeconds ?? 0) > 0.2 * r.wallSeconds))
if (noisy.length > 0) {
  say(`- ${noisy.length} run(s) saw other CPU above 20% of their wall time (another process, or kernel writeback for disk writers): ` +
    noisy.map(({ s, r, i }) => `${s.name} #${i + 1} (${f2(r.otherCpuSeconds ?? 0)} s)`).join(', ') + '; medians damp single outliers')
}
if (settle > 0) say(`- each run waited for the machine to be idle (<${IDLE * 100}% busy, up to ${settle} s)${busyStarts > 0 ? `; ${busyStarts} run(s) started on a busy machine anyway` : '; all started idle'}`)
const native = byName.get('native')
if (native != null) {
  const m = (k: string): number => median(native.runs.map(r => Number(r.extra[k])))
  const mib = size / MiB
  say(`- native phases (median s): read ${f2(m('readSeconds'))}, AES-256-GCM ${f2(m('aesGcmSeconds'))} (${f0(mib / m('aesGcmSeconds'))} MiB/s), SHA-256 ${f2(m('sha256Seconds'))} (${f0(mib / m('sha256Seconds'))} MiB/s); crypto alone ${f0(mib / (m('aesGcmSeconds') + m('sha256Seconds')))} MiB/s`)
}
if (oht != null) {
  const m = (k: string): number => median(oht.runs.map(r => Number(r.extra[k])))
  say(`- oht phases (median s): open ${f2(m('openSeconds'))}, share ${f2(m('shareSeconds'))} (${f0(size / MiB / m('shareSeconds'))} MiB/s for share() alone)`)
}
const heliaCids = new Set(summaries.filter(s => s.name.startsWith('helia')).flatMap(s => s.runs.map(r => `${s.name}=${String(r.extra.cid)}`)))
if (heliaCids.size > 0) say(`- Helia root CIDs: ${[...heliaCids].join(', ')}`)
say()
say('ratios (median MiB/s):')
const line = (label: string, v: number | undefined, target?: string, met?: boolean): void => {
  if (v == null) return
  say(`- ${label}: ${f2(v)}${target != null ? ` (target ${target}: ${met === true ? 'MET' : 'MISSED'})` : ''}`)
}
line('oht / helia-fs', targets.heliaRatio.value, targets.heliaRatio.target, targets.heliaRatio.met)
line('oht / native single core', targets.nativeRatio.value, targets.nativeRatio.target, targets.nativeRatio.met)
line('oht-cli / helia-fs', ratio('oht-cli', 'helia-fs'))
line('oht / helia-fs-64k', ratio('oht', 'helia-fs-64k'))
line('oht / helia-fs-1mib', ratio('oht', 'helia-fs-1mib'))
line('oht / helia-null', ratio('oht', 'helia-null'))
line('oht / native-2t (2-thread ceiling)', ratio('oht', 'native-2t'))
line('helia-fs / native', ratio('helia-fs', 'native'))
if (oht != null) say(`- oht peak RSS: ${f0(oht.peakRssMiBMax)} MiB, worst run (target ${targets.peakRssMiB.target} MiB: ${targets.peakRssMiB.met === true ? 'MET' : 'MISSED'})`)

if (opts.json) {
  process.stdout.write(`${JSON.stringify({
    bench: 'share',
    date: started.toISOString(),
    command,
    machine,
    input: { file: relative(ROOT, fixture), bytes: size, blockSize, generated: made.generated, warmReadMiBps: warmMiBps },
    runs,
    settle: { seconds: settle, idleBelow: IDLE, runsStartedBusy: busyStarts },
    contenders: summaries,
    ratios: {
      ohtOverHeliaFs: ratio('oht', 'helia-fs'),
      ohtOverNative: ratio('oht', 'native'),
      ohtOverNative2Threads: ratio('oht', 'native-2t'),
      ohtCliOverHeliaFs: ratio('oht-cli', 'helia-fs'),
      ohtOverHeliaFs64k: ratio('oht', 'helia-fs-64k'),
      ohtOverHeliaFs1MiB: ratio('oht', 'helia-fs-1mib'),
      ohtOverHeliaNull: ratio('oht', 'helia-null')
    },
    targets
  }, null, 2)}\n`)
}
