// `node bench/cli.ts [--runs 11]`: cold start of the oht command beside the runtime's own start.
// Each round runs, in turn: `node -e 0` (the floor), `oht --help`, `oht status` without a daemon,
// `oht status` with a daemon running (through its API), `oht share` of a 1 KiB file. Median and
// spread of wall time per command, and each median minus the floor's (the target: --help and
// status within 100 ms of it). Runs the compiled build (rebuilt when stale), as users do.
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ensureCurrentBuild } from './lib/build.ts'

const root = join(import.meta.dirname, '..')
const { values } = parseArgs({ options: { runs: { type: 'string', default: '11' } } })
const runs = Number(values.runs)
ensureCurrentBuild(root)

const dir = await mkdtemp(join(tmpdir(), 'oht-bench-cli-'))
const env = { ...process.env, NODE_OPTIONS: undefined, OHT_PASSPHRASE: undefined }
const oht = join(root, 'bin', 'oht.js')

async function timed (args: string[]): Promise<number> {
  const start = performance.now()
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.once('exit', code => { code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${String(code)}: ${err}`)) })
  })
  return performance.now() - start
}

const idle = join(dir, 'idle')
const served = join(dir, 'served')
const file = join(dir, 'kib.bin')
await writeFile(file, Buffer.alloc(1024, 1))
await timed([oht, '--data-dir', idle, 'init'])
await timed([oht, '--data-dir', served, 'init'])
const daemon = spawn(process.execPath, [oht, '--data-dir', served, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--json', 'daemon'], { env, stdio: ['ignore', 'pipe', 'ignore'] })
await new Promise<void>(resolve => { daemon.stdout.once('data', () => { resolve() }) })

const cases: Array<[string, string[]]> = [
  ['node -e 0', ['-e', '0']],
  ['oht --help', [oht, '--help']],
  ['oht status (no daemon)', [oht, '--data-dir', idle, 'status']],
  ['oht status (daemon)', [oht, '--data-dir', served, 'status']],
  ['oht share 1 KiB', [oht, '--data-dir', idle, 'share', file]]
]
const samples = new Map<string, number[]>(cases.map(([name]) => [name, []]))
for (let i = 0; i < runs + 1; i++) {
  for (const [name, args] of cases) {
    const ms = await timed(args)
    if (i > 0) samples.get(name)!.push(ms) // round 0 warms the compile cache and the page cache
  }
}
daemon.kill('SIGTERM')
await new Promise(resolve => daemon.once('exit', resolve))
await rm(dir, { recursive: true, force: true })

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]! }
const floor = median(samples.get('node -e 0')!)
console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map(l => l.toFixed(1)).join(' ')}, ${runs} runs`)
console.log('command                    median    min    max   over node -e 0')
for (const [name, xs] of samples) {
  const m = median(xs)
  console.log(`${name.padEnd(25)} ${m.toFixed(0).padStart(6)} ${Math.min(...xs).toFixed(0).padStart(6)} ${Math.max(...xs).toFixed(0).padStart(6)}   ${name === 'node -e 0' ? '' : `+${(m - floor).toFixed(0)} ms`}`)
}
