// `oht pins allow --max-pins`: the count limit is stored, shown by `oht pins list`, and a value
// that is no count is one clear error line (the limits themselves: pin-protocol.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { assertCliError, oht, ohtJson, ohtOk, tempDir } from '../helpers/cli.ts'

test('pins allow --max-pins: stored, listed, and a bad count refused in one line', async t => {
  const node = join(await tempDir(t, 'oht-pin-limits-cli-'), 'node')
  const account = randomBytes(32).toString('hex')
  const r = await ohtOk(node, ['pins', 'allow', account, '--quota', '1GiB', '--max-pins', '3'])
  assert.match(r.stdout, new RegExp(`account ${account} may pin up to 1(\\.00)? GiB in at most 3 pins, leases up to 90d`))
  const { value } = await ohtJson<{ grants: Array<{ account: string, maxPins: number, usedPins: number }> }>(node, ['pins', 'list'])
  assert.deepEqual(value.grants.map(g => [g.account, g.maxPins, g.usedPins]), [[account, 3, 0]])
  const listed = await ohtOk(node, ['pins', 'list'])
  assert.match(listed.stdout, /0 of 3 pins/)
  for (const bad of ['x', '-1', '1.5']) assertCliError(await oht(node, ['pins', 'allow', account, '--max-pins', bad]), /pin limit must be a whole number/)
})
