#!/usr/bin/env node
// The crash-consistency loop of test/integration/crash-consistency.test.ts at full length:
// `npm run crash` kills and restarts a daemon 50 times (the suite runs 8); `--rounds N` changes
// that, `--seed S` replays a failing run (its seed is in the test's name).
import { spawnSync } from 'node:child_process'

const args = process.argv.slice(2)
const value = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined }
const rounds = Number(value('--rounds') ?? 50)
const seed = value('--seed')
if (!Number.isInteger(rounds) || rounds < 1 || (seed != null && !/^\d+$/.test(seed))) {
  console.error('usage: npm run crash [-- --rounds N] [--seed S]')
  process.exit(2)
}
const env = { ...process.env, OHT_CRASH_ROUNDS: String(rounds) }
if (seed != null) env.OHT_CRASH_SEED = seed
const run = spawnSync(process.execPath, ['--test', '--test-reporter=spec', 'test/integration/crash-consistency.test.ts'], { stdio: 'inherit', env })
process.exit(run.status ?? 1)
