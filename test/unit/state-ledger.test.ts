// The table ledger (src/store/table-ledger.ts) lets an open skip reading every record only while
// the table files are byte for byte those a clean close recorded; each way that can stop being
// true is tried, and a damaged table is still reported at the next open in every case.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { NodeState } from '../../src/node/identity/state.ts'
import { NodeError } from '../../src/node/errors.ts'
import { LEDGER_FILE, TableLedger } from '../../src/store/index.ts'

const storageKey = new Uint8Array(randomBytes(32))

/** A state with 40 records in a table file (written, closed, opened and closed again: clean closes). */
async function made (t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-ledger-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const path = join(dir, 'state')
  const state = new NodeState({ path }, storageKey)
  await state.open()
  const owned = state.db.sublevel<string, unknown>('owned', { valueEncoding: 'json' })
  for (let i = 0; i < 40; i++) await owned.put(`share-${i}`, { kept: i, pad: randomBytes(100).toString('hex') })
  await state.close()
  const again = new NodeState({ path }, storageKey)
  await again.open()
  await again.close()
  return path
}

const table = async (path: string): Promise<string> => join(path, (await readdir(path)).find(n => n.endsWith('.ldb'))!)

async function flip (file: string): Promise<void> {
  const bytes = await readFile(file)
  bytes[Math.floor(bytes.length / 3)]! ^= 0x10
  await writeFile(file, bytes)
}

const damaged = (err: unknown): boolean => err instanceof NodeError && err.code === 'node.stateDamaged' && /records that do not open: \d+ in owned|corrupt/i.test(err.message)

test('a clean close leaves a sealed ledger that vouches for the tables only while they are unchanged', async t => {
  const path = await made(t)
  const sealed = await readFile(join(path, LEDGER_FILE))
  assert.doesNotMatch(sealed.toString('latin1'), /\.ldb|sha256/, 'names and digests are not in clear')
  assert.equal(await new TableLedger(path, storageKey).vouches(), true)
  assert.equal(await new TableLedger(path, new Uint8Array(randomBytes(32))).vouches(), false, 'a ledger of another storage key does not open')

  const file = await table(path)
  const saved = await readFile(file)
  await flip(file)
  assert.equal(await new TableLedger(path, storageKey).vouches(), false, 'a flipped byte')
  await writeFile(file, saved)
  assert.equal(await new TableLedger(path, storageKey).vouches(), true, 'restored')

  await copyFile(file, join(path, '999999.ldb'))
  assert.equal(await new TableLedger(path, storageKey).vouches(), false, 'a table the ledger does not know')
  await rm(join(path, '999999.ldb'))

  const ledger = new TableLedger(path, storageKey)
  await ledger.taken()
  assert.equal(await ledger.vouches(), false, 'no ledger')
})

test('an open takes the ledger away: a session that never closes (a crash) leaves none, and the next open reads every record', async t => {
  const path = await made(t)
  const state = new NodeState({ path }, storageKey)
  await state.open()
  assert.ok(!(await readdir(path)).includes(LEDGER_FILE), 'taken at open')
  await state.db.close() // the database closes, NodeState.close never runs: as after kill -9
  assert.ok(!(await readdir(path)).includes(LEDGER_FILE))
  await flip(await table(path))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged)
})

test('a damaged table is reported at the next open although a ledger exists, and stays reported', async t => {
  const path = await made(t)
  assert.ok((await readdir(path)).includes(LEDGER_FILE))
  await flip(await table(path))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged)
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged)
})

test('a table name given to new bytes during a session (LevelDB reuses the number of a table it abandoned) is hashed again at close', async t => {
  const path = await made(t)
  const state = new NodeState({ path }, storageKey)
  await state.open() // the ledger vouched: every table's digest is known
  const file = await table(path)
  const bytes = await readFile(file)
  await rm(file) // a new file under the same name: another inode, as LevelDB writes it
  bytes[0]! ^= 0x01
  await writeFile(file, bytes)
  await state.close()
  assert.equal(await new TableLedger(path, storageKey).vouches(), true, 'the ledger holds the bytes there at close, not those hashed at open')
})
