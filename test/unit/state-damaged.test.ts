// A damaged state database gives one clear error at start, never a silent node with shares gone:
// each kind of on-disk damage LevelDB would open past (or fail on with a raw message) is tried.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { NodeState } from '../../src/node/identity/state.ts'
import { NodeError } from '../../src/node/errors.ts'
import { checkLogBytes, crc32c } from '../../src/store/index.ts'

const storageKey = new Uint8Array(randomBytes(32))
const RECORDS = 40

/** A state with RECORDS owned records; `table`: reopened once, so that they sit in a table file, not the log. */
async function made (t: { after: (fn: () => Promise<void>) => void }, table: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-state-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const path = join(dir, 'state')
  const state = new NodeState({ path }, storageKey)
  await state.open()
  const owned = state.db.sublevel<string, unknown>('owned', { valueEncoding: 'json' })
  for (let i = 0; i < RECORDS; i++) await owned.put(`share-${i}`, { kept: i, pad: randomBytes(100).toString('hex') })
  await state.close()
  if (table) {
    const again = new NodeState({ path }, storageKey)
    await again.open()
    await again.close()
  }
  return path
}

async function fileOf (path: string, pattern: RegExp): Promise<string> {
  const name = (await readdir(path)).find(n => pattern.test(n))
  assert.ok(name != null, `a file matching ${String(pattern)} in ${path}`)
  return join(path, name)
}

async function flip (file: string, at: (length: number) => number): Promise<void> {
  const bytes = await readFile(file)
  bytes[at(bytes.length)]! ^= 0x10
  await writeFile(file, bytes)
}

const damaged = (why: RegExp) => (err: unknown): boolean => {
  assert.ok(err instanceof NodeError, `a NodeError, got ${String(err)}`)
  assert.equal(err.code, 'node.stateDamaged')
  assert.match(err.message, why)
  assert.match(err.message, /run oht repair-state to keep what still reads and see what was lost, or restore it from a backup/)
  assert.doesNotMatch(err.message, /\n/, 'one line')
  return true
}

async function count (path: string): Promise<number> {
  const state = new NodeState({ path }, storageKey)
  await state.open()
  try { return (await state.db.sublevel('owned', { valueEncoding: 'json' }).keys().all()).length } finally { await state.close() }
}

test('a state database without its CURRENT file is reported as damaged, not opened empty', async t => {
  const path = await made(t, false)
  await rm(join(path, 'CURRENT'))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/CURRENT file is missing/))
})

test('a flipped byte in the log is reported (LevelDB alone opens without the records of that block)', async t => {
  const path = await made(t, false)
  await flip(await fileOf(path, /^\d+\.log$/), n => Math.floor(n / 2))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/its log \d+\.log does not read back at byte \d+: checksum mismatch/))
})

test('a missing log is reported (LevelDB alone opens without the last writes)', async t => {
  const path = await made(t, false)
  await rm(await fileOf(path, /^\d+\.log$/))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/its log \d+\.log is missing/))
})

test('a flipped byte in a table file is reported, not found later as a record that does not open', async t => {
  const path = await made(t, true)
  await flip(await fileOf(path, /\.ldb$/), n => Math.floor(n / 3))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/records that do not open: \d+ in owned|corrupt/i))
})

test('a missing table file or a damaged MANIFEST is reported in the same words', async t => {
  const path = await made(t, true)
  const table = await fileOf(path, /\.ldb$/)
  const saved = await readFile(table)
  await rm(table)
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/missing files|No such file/i))
  await writeFile(table, saved)
  assert.equal(await count(path), RECORDS, 'restored, it opens whole')
  await flip(await fileOf(path, /^MANIFEST-/), n => Math.floor(n / 2))
  await assert.rejects(new NodeState({ path }, storageKey).open(), damaged(/corrupt|checksum/i))
})

test('a log cut short at its end (a write the machine never finished) is no damage; an intact state opens whole', async t => {
  const path = await made(t, false)
  const log = await fileOf(path, /^\d+\.log$/)
  const size = (await readFile(log)).length
  await truncate(log, size - 20)
  assert.equal(await count(path), RECORDS - 1, 'the last record, cut short, is dropped; none before it')
  assert.equal(await count(path), RECORDS - 1, 'and it opens again')
  const fresh = await made(t, true)
  assert.equal(await count(fresh), RECORDS)
})

test('the log check reads LevelDB framing: CRC-32C check value, a record past its block, an unknown type', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xE3069283)
  const record = (type: number, data: Buffer, crc?: number): Buffer => {
    const h = Buffer.alloc(7)
    const c = crc32c(Buffer.concat([Buffer.from([type]), data]))
    h.writeUInt32LE(crc ?? ((((c >>> 15) | (c << 17)) >>> 0) + 0xA282EAD8) >>> 0, 0)
    h.writeUInt16LE(data.length, 4)
    h[6] = type
    return Buffer.concat([h, data])
  }
  assert.deepEqual(checkLogBytes('x.log', record(1, Buffer.from('hello'))), [])
  assert.equal(checkLogBytes('x.log', record(1, Buffer.from('hello'), 1))[0]?.why, 'checksum mismatch')
  assert.equal(checkLogBytes('x.log', record(7, Buffer.from('hello')))[0]?.why, 'unknown record type 7')
  // A length past the 32 KiB block, with more blocks after it: damage, not an unfinished write.
  const long = Buffer.concat([record(1, Buffer.alloc(10)).subarray(0, 4), Buffer.from([0xFF, 0x7F, 1]), Buffer.alloc(40_000)])
  assert.equal(checkLogBytes('x.log', long)[0]?.why, 'a record runs past its block')
})

test('repairState: keeps every record that still reads, drops what does not open, says what was lost, keeps a copy', async t => {
  const { repairState } = await import('../../src/node/identity/state-repair.ts')
  // A lost CURRENT: LevelDB's repair rebuilds it from the files; nothing is lost.
  const noCurrent = await made(t, true)
  await rm(join(noCurrent, 'CURRENT'))
  const r1 = await repairState(noCurrent, storageKey)
  assert.deepEqual([r1.dropped, r1.logDamage], [{}, []])
  assert.equal(await count(noCurrent), RECORDS)
  assert.ok((await readdir(r1.backup)).length > 0, 'the damaged copy is kept')

  // A flipped byte in a table: the record it hit is dropped and named by sublevel, the others kept.
  const table = await made(t, true)
  await flip(await fileOf(table, /\.ldb$/), n => Math.floor(n / 3))
  const r2 = await repairState(table, storageKey)
  const dropped = Object.values(r2.dropped).reduce((a, b) => a + b, 0)
  assert.ok(dropped >= 1, `the damaged record is dropped: ${JSON.stringify(r2)}`)
  assert.equal(await count(table), r2.kept - 1, 'every record kept opens (besides the check record)')

  // A flipped byte in the log: the records of its block are lost, and the place is named.
  const log = await made(t, false)
  await flip(await fileOf(log, /^\d+\.log$/), n => Math.floor(n / 2))
  const r3 = await repairState(log, storageKey)
  assert.match(r3.logDamage[0] ?? '', /^\d+\.log at byte \d+: checksum mismatch$/)
  const left = await count(log)
  assert.ok(left < RECORDS && left > 0, `some records before the damage are kept, those after it are lost (${left})`)

  // Another storage key is not damage: nothing is deleted.
  const other = await made(t, true)
  await rm(join(other, 'CURRENT'))
  await assert.rejects(repairState(other, new Uint8Array(randomBytes(32))), /no record of the state database opens with this storage key/)
})
