#!/usr/bin/env node
// Runs the fuzz targets of test/fuzz. `npm run fuzz` runs each property for its few hundred cases
// (as the test suite does); `npm run fuzz -- --minutes N` shares N minutes among all properties
// (OHT_FUZZ_MS each). `--seed S` replays a run fast-check reported. A counterexample found is
// fixed in the parser and kept in the target's `examples`.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
const value = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined }
const minutes = Number(value('--minutes') ?? 0)
const seed = value('--seed')
if (!(minutes >= 0) || (seed != null && !/^-?\d+$/.test(seed))) {
  console.error('usage: npm run fuzz [-- --minutes N] [--seed S]')
  process.exit(2)
}
const dir = 'test/fuzz'
const files = readdirSync(dir).filter(f => f.endsWith('.test.ts')).map(f => join(dir, f))
// Every fc.assert is one property; each gets an equal share of the time.
const properties = files.reduce((n, f) => n + (readFileSync(f, 'utf8').match(/fc\.assert\(/g) ?? []).length, 0)
const env = { ...process.env }
if (minutes > 0) env.OHT_FUZZ_MS = String(Math.floor(minutes * 60_000 / properties))
if (seed != null) env.OHT_FUZZ_SEED = seed
if (minutes > 0) console.log(`${properties} properties in ${files.length} targets, ${Math.round(Number(env.OHT_FUZZ_MS) / 1000)} s each`)
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', `--test-timeout=${Math.max(600_000, minutes * 60_000 * 2)}`, ...files], { stdio: 'inherit', env })
process.exit(run.status ?? 1)
