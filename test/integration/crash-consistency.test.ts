// Crash consistency (issue 22): a daemon kill -9'd at random moments of share, unshare, fetch,
// pin, unpin and pin sweep, restarted each time; after each restart the state opens, nothing it
// acknowledged is lost, nothing it removed comes back, pin counts are exact, and at the end every
// file is byte-identical (test/helpers/crash-loop.ts). The suite runs a few rounds;
// `npm run crash -- --rounds 50 [--seed S]` runs the full loop.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/cli.ts'
import { runCrashLoop } from '../helpers/crash-loop.ts'

const rounds = Number(process.env.OHT_CRASH_ROUNDS ?? 8)
const seed = Number(process.env.OHT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

test(`a daemon kill -9'd ${rounds} times during share, unshare, fetch, pin and sweep loses nothing it acknowledged (seed ${seed})`, { timeout: 120_000 + rounds * 45_000 }, async t => {
  const dir = await tempDir(t, 'oht-crash-')
  const report = await runCrashLoop({ dir, rounds, seed, log: line => { t.diagnostic(line) } })
  t.diagnostic(JSON.stringify(report))
  assert.equal(report.rounds, rounds)
  assert.ok(Object.values(report.acknowledged).reduce((a, b) => a + b, 0) > 0, 'the daemon acknowledged operations')
  assert.ok(report.filesChecked > 0, 'files were checked byte for byte')
})
