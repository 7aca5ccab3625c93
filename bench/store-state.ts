// Benchmark: the sealed state (src/store) against the clear LevelDB state it replaced.
//
//   node bench/store-state.ts [--size 128MiB] [--runs 3] [--records 2000] [--baseline <git rev>]
//                             [--only micro,cli] [--refill] [--json]
//
// micro: the state operations of the node on one LevelDB, sealed (SealedDb) and clear (plain
//   abstract-level sublevels with JSON values, as NodeState kept them before): put a share
//   (record with a file table + leaves + tags in one batch), read it back, list all, a pin's
//   claims (one batch of a reference count per block, after a getMany), prefix lookups.
// cli: end to end with the real CLI, the code of this tree (sealed) against the code of
//   --baseline (default: the commit before the sealed store; `unsealed`: this tree with the
//   record cipher taken out, to see what encryption alone costs), both compiled: `oht share FILE`,
//   then a daemon seeds it and `oht fetch --peer` gets it over loopback TCP into another data
//   directory. With --records N (N > 0) both data directories hold N records before each run
//   (held shares with 16 KiB of leaves each, written by each tree's own NodeState:
//   bench/lib/prefill.ts), once per command, or afresh for every run with --refill (each fill
//   has its own LevelDB layout, which decides when LevelDB compacts); --records 0: empty ones. Runs of the two trees alternate round by
//   round; medians are reported.
// It is a benchmark: it reports figures and whether the 5 % target was met; it asserts nothing.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Level } from 'level'
import { parseSize } from '../cli/units.ts'
import { LevelBackend, SealedDb } from '../src/store/index.ts'
import { ensureCurrentBuild } from './lib/build.ts'
import { ensureFixture, warmCache } from './lib/fixture.ts'
import { machineFacts } from './lib/machine.ts'
import { prefill } from './lib/prefill.ts'

const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(BENCH_DIR, '..')
/** The last commit of main before the sealed store (the parent of the store branch's first commit). */
const DEFAULT_BASELINE = '1e0afc5'
/** `--baseline unsealed`: this tree with the record cipher taken out (unsealRecords), the same code otherwise. */
const UNSEALED = 'unsealed'

const { values: opts } = parseArgs({
  options: {
    size: { type: 'string', default: '128MiB' },
    runs: { type: 'string', default: '3' },
    records: { type: 'string', default: '2000' },
    baseline: { type: 'string', default: DEFAULT_BASELINE },
    only: { type: 'string', default: 'micro,cli' },
    refill: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }
  }
})
const size = parseSize(opts.size)
const runs = Number(opts.runs)
const records = Number(opts.records)
const only = new Set(opts.only.split(','))
const say = (line = ''): void => { (opts.json ? process.stderr : process.stdout).write(`${line}\n`) }
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2 }

// ---------------------------------------------------------------- micro

interface Sub {
  put: (k: string, v: unknown) => Promise<void>
  get: (k: string) => Promise<unknown>
  getMany: (ks: string[]) => Promise<unknown[]>
  values: (o?: object) => { all: () => Promise<unknown[]> }
}
interface Db { sub: (name: string, enc: 'json' | 'view') => Sub, batch: (ops: unknown[]) => Promise<void>, close: () => Promise<void> }

async function clearDb (path: string): Promise<Db> {
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' })
  await db.open()
  return { sub: (name, enc) => db.sublevel(name, { valueEncoding: enc }) as unknown as Sub, batch: async ops => { await db.batch(ops as never) }, close: async () => { await db.close() } }
}

async function sealedDb (path: string): Promise<Db> {
  const db = new SealedDb(new LevelBackend(path), randomBytes(32))
  await db.open()
  return { sub: (name, enc) => db.sublevel(name, { valueEncoding: enc }) as unknown as Sub, batch: async ops => { await db.batch(ops as never) }, close: async () => { await db.close() } }
}

async function micro (make: (path: string) => Promise<Db>, dir: string): Promise<Record<string, number>> {
  const db = await make(dir)
  const owned = db.sub('owned', 'json')
  const leaves = db.sub('leaves', 'view')
  const tags = db.sub('tags', 'view')
  const pins = db.sub('pins', 'json')
  const refs = db.sub('block-refs', 'json')
  const ids = Array.from({ length: records }, (_, i) => `bafyrei${randomBytes(20).toString('hex')}${i}`)
  const files = Array.from({ length: 20 }, (_, i) => ({ path: `/home/user/some folder/file-${i}.mkv`, relPath: `folder/file-${i}.mkv`, size: 123456789, mtimeMs: Date.now() }))
  const leafBytes = randomBytes(512 * 32) // a 128 MiB share
  const tagBytes = randomBytes(512 * 16)
  const out: Record<string, number> = {}
  const time = async (name: string, fn: () => Promise<void>): Promise<void> => { const t0 = performance.now(); await fn(); out[name] = (performance.now() - t0) / 1000 }
  await time('putShares', async () => {
    for (const id of ids) {
      await db.batch([
        { type: 'put', sublevel: leaves, key: id, value: leafBytes },
        { type: 'put', sublevel: tags, key: id, value: tagBytes },
        { type: 'put', sublevel: owned, key: id, value: { id, name: 'a name', files, bytes: 1, blockCount: 512, createdAt: 1 } }
      ])
    }
  })
  await time('getShares', async () => { for (const id of ids) { await owned.get(id); await leaves.get(id) } })
  await time('listShares', async () => { await owned.values().all() })
  await time('pinClaims', async () => {
    for (const id of ids.slice(0, 20)) {
      const keys = Array.from({ length: 4097 }, (_, i) => `${id}-${i}`)
      const counts = await refs.getMany(keys)
      await db.batch([
        ...keys.map((key, i) => ({ type: 'put', sublevel: refs, key, value: ((counts[i] as number | undefined) ?? 0) + 1 })),
        { type: 'put', sublevel: pins, key: `${id}\u0000local`, value: { id, holder: 'local' } }
      ])
    }
  })
  await time('prefixLookups', async () => { for (const id of ids) await pins.values({ gte: `${id}\u0000`, lt: `${id}\u0001` }).all() })
  await db.close()
  return out
}

// ---------------------------------------------------------------- cli

async function prepareBaseline (rev: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-bench-baseline-'))
  if (rev === UNSEALED) {
    for (const part of ['src', 'cli', 'web', 'bin', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) await cp(join(ROOT, part), join(dir, part), { recursive: true })
  } else {
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${rev}" | tar -x -C "${dir}"`])
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  execFileSync(process.execPath, [join(dir, 'scripts', 'build.js')], { stdio: 'inherit' })
  if (rev === UNSEALED) await unsealRecords(join(dir, 'dist', 'src', 'store', 'seal.js'))
  return dir
}

/**
 * The control of `--baseline unsealed`: this tree's compiled record format with the cipher taken
 * out (records keep their layout, version byte, nonce and a 16-byte tail, but hold the key and
 * value in clear and open without a check). Everything else (keyed names, the table ledger, the
 * damage checks) is this tree's, so the difference is what encrypting every record costs.
 */
async function unsealRecords (file: string): Promise<void> {
  const js = await readFile(file, 'utf8')
  const seal = /export function sealRecord\(keys, sublevel, dbKey, clearKey, value\) \{[\s\S]*?\n\}\n/
  const open = /export function openRecord\(keys, sublevel, dbKey, sealed\) \{[\s\S]*?\n\}\n/
  if (!seal.test(js) || !open.test(js)) throw new Error(`${file}: sealRecord/openRecord not found; the unsealed control needs updating`)
  await writeFile(file, js.replace(seal, `export function sealRecord(keys, sublevel, dbKey, clearKey, value) {
    const keyBytes = Buffer.from(clearKey);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(keyBytes.length);
    return Buffer.concat([Buffer.of(SEALED_VERSION), nonce(), head, keyBytes, value, Buffer.alloc(TAG)]);
}
`).replace(open, `export function openRecord(keys, sublevel, dbKey, sealed) {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (buf.length < 1 + NONCE + 4 + TAG || buf[0] !== SEALED_VERSION) throw new SealedStoreError('store.format', 'record ' + sublevel + '/' + dbKey + ' is not a sealed record');
    const plain = buf.subarray(1 + NONCE, buf.length - TAG);
    const n = plain.readUInt32BE(0);
    return { key: plain.subarray(4, 4 + n).toString(), value: plain.subarray(4 + n) };
}
`))
}

function cli (tree: string, args: string[]): Promise<{ seconds: number, stdout: string }> {
  const t0 = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(tree, 'bin', 'oht.js'), ...args], { cwd: tree, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', code => { if (code === 0) resolve({ seconds: (performance.now() - t0) / 1000, stdout }); else reject(new Error(`oht ${args.join(' ')}: exit ${code}: ${stderr}`)) })
  })
}

/** `filled`: data directories (a: sharer and seeder, b: fetcher) copied in before the run. */
async function cliRun (tree: string, file: string, work: string, filled?: { a: string, b: string }): Promise<{ share: number, fetch: number }> {
  const a = join(work, 'a')
  if (filled != null) {
    await mkdir(work, { recursive: true })
    await cp(filled.a, a, { recursive: true })
    await cp(filled.b, join(work, 'b'), { recursive: true })
  }
  const shared = await cli(tree, ['--data-dir', a, '--json', 'share', file])
  const link = (JSON.parse(shared.stdout) as { link: string }).link
  const daemon = spawn(process.execPath, [join(tree, 'bin', 'oht.js'), '--data-dir', a, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--json', 'daemon'], { cwd: tree, stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: daemon.stdout }).once('line', resolve)
      daemon.once('exit', code => { reject(new Error(`daemon exited ${code}`)) })
    })
    const address = (JSON.parse(line) as { address: string }).address
    const fetched = await cli(tree, ['--data-dir', join(work, 'b'), '--transport', 'tcp', '--json', 'fetch', link, '--peer', address, '-o', join(work, 'out')])
    return { share: shared.seconds, fetch: fetched.seconds }
  } finally {
    daemon.kill('SIGTERM')
    await new Promise(resolve => daemon.once('exit', resolve))
  }
}

// ---------------------------------------------------------------- main

const results: Record<string, unknown> = { machine: machineFacts({ repo: ROOT }), size, runs, records, baseline: opts.baseline }
const work = await mkdtemp(join(tmpdir(), 'oht-bench-store-'))
let baselineTree: string | undefined
try {
  if (only.has('micro')) {
    const rounds: Array<{ clear: Record<string, number>, sealed: Record<string, number> }> = []
    for (let r = 0; r < runs; r++) {
      rounds.push({ clear: await micro(clearDb, join(work, `clear-${r}`)), sealed: await micro(sealedDb, join(work, `sealed-${r}`)) })
    }
    const table: Record<string, { clear: number, sealed: number, ratio: number }> = {}
    for (const op of Object.keys(rounds[0]!.clear)) {
      const c = median(rounds.map(x => x.clear[op]!))
      const s = median(rounds.map(x => x.sealed[op]!))
      table[op] = { clear: c, sealed: s, ratio: s / c }
    }
    results.micro = table
    say(`micro (${records} shares, median of ${runs}): seconds clear → sealed`)
    for (const [op, v] of Object.entries(table)) say(`  ${op.padEnd(14)} ${v.clear.toFixed(3).padStart(8)} → ${v.sealed.toFixed(3).padStart(8)}  ×${v.ratio.toFixed(2)}`)
  }
  if (only.has('cli')) {
    ensureCurrentBuild(ROOT)
    baselineTree = await prepareBaseline(opts.baseline)
    const file = join(ROOT, 'bench', 'fixtures', `store-${size}.bin`)
    await ensureFixture(file, size)
    await warmCache(file)
    const byTree: Record<'clear' | 'sealed', Array<{ share: number, fetch: number }>> = { clear: [], sealed: [] }
    const filled: Partial<Record<'clear' | 'sealed', { a: string, b: string }>> = {}
    const clearTree = baselineTree
    const fill = async (round: number): Promise<void> => {
      for (const [name, tree] of [['clear', clearTree], ['sealed', ROOT]] as const) {
        await rm(join(work, `filled-${name}`), { recursive: true, force: true })
        filled[name] = { a: join(work, `filled-${name}`, `a${round}`), b: join(work, `filled-${name}`, `b${round}`) }
        prefill(tree, filled[name].a, records)
        prefill(tree, filled[name].b, records)
      }
    }
    for (let r = 0; r < runs; r++) {
      // A fill per run (--refill): a fill's LevelDB layout decides when LevelDB compacts during
      // the measured commands, so runs that share one fill are not independent (bench/RESULTS.md).
      if (records > 0 && (r === 0 || opts.refill)) await fill(r)
      for (const [name, tree] of [['clear', baselineTree], ['sealed', ROOT]] as const) {
        const dir = join(work, `cli-${name}-${r}`)
        byTree[name].push(await cliRun(tree, file, dir, filled[name]))
        await rm(dir, { recursive: true, force: true })
      }
    }
    const summary = Object.fromEntries((['clear', 'sealed'] as const).map(n => [n, { share: median(byTree[n].map(x => x.share)), fetch: median(byTree[n].map(x => x.fetch)), runs: byTree[n] }]))
    results.cli = summary
    const MiB = 2 ** 20
    say(`cli (${size / MiB} MiB, median of ${runs}, wall incl. process start, ${records} records in each data directory): clear (${opts.baseline === UNSEALED ? 'this tree, records unsealed' : opts.baseline}) → sealed (this tree)`)
    for (const step of ['share', 'fetch'] as const) {
      const c = summary.clear![step]
      const s = summary.sealed![step]
      const slower = s / c - 1
      say(`  ${step.padEnd(6)} ${c.toFixed(2)} s (${(size / MiB / c).toFixed(1)} MiB/s) → ${s.toFixed(2)} s (${(size / MiB / s).toFixed(1)} MiB/s)  ${slower >= 0 ? '+' : ''}${(slower * 100).toFixed(1)} %  ${slower <= 0.05 ? 'target met (≤ 5 %)' : 'over the 5 % target'}`)
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify(results) + '\n')
} finally {
  await rm(work, { recursive: true, force: true })
  if (baselineTree != null) await rm(baselineTree, { recursive: true, force: true })
}
