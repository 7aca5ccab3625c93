// The onion service key file sealed under the node's storage key (src/onion/tor/key-file.ts with
// the store's fileSealer): at rest it names neither the key nor the onion address; a clear file
// of before is sealed on first read; another node's key, an edit or a missing sealer are refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadKey, saveKey } from '../../src/onion/tor/key-file.ts'
import { fileSealer } from '../../src/store/index.ts'
import { tempDir } from '../helpers/cli.ts'

const KEY = `ED25519-V3:${randomBytes(64).toString('base64')}`
const SERVICE = 'a'.repeat(20) + 'b2c3d4e5f6g7' + 'z'.repeat(24)

test('a sealed key file names nothing, opens only with its node\'s storage key, and a clear one is sealed once', async t => {
  const dir = await tempDir(t, 'oht-onion-key-')
  const file = join(dir, 'onion.key')
  const storageKey = randomBytes(32)
  const sealer = fileSealer(storageKey, 'onion.key')
  await saveKey(file, KEY, SERVICE, sealer)
  const text = await readFile(file, 'utf8')
  assert.ok(!text.includes(KEY.slice(11, 40)) && !text.includes(SERVICE), 'neither the key nor the address in clear')
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.deepEqual(await loadKey(file, sealer), { key: KEY, serviceId: SERVICE })

  await assert.rejects(loadKey(file), /is sealed: it opens only with its node's storage key/)
  await assert.rejects(loadKey(file, fileSealer(randomBytes(32), 'onion.key')), /does not open with this node's storage key/)
  await assert.rejects(loadKey(file, fileSealer(storageKey, 'other.key')), /does not open/, 'bound to its name')
  const [head, body] = text.split('\n')
  const edited = Buffer.from(body!, 'base64')
  edited[20]! ^= 1
  await writeFile(file, `${head}\n${edited.toString('base64')}\n`)
  await assert.rejects(loadKey(file, sealer), /does not open/)

  // The clear format of before: read as it is, then sealed in place.
  await writeFile(file, `${KEY}\n${SERVICE}\n`, { mode: 0o600 })
  assert.deepEqual(await loadKey(file, sealer), { key: KEY, serviceId: SERVICE })
  const after = await readFile(file, 'utf8')
  assert.ok(!after.includes(SERVICE) && after.startsWith('oht sealed onion key 1\n'), 'sealed on first read')
  assert.deepEqual(await loadKey(file, sealer), { key: KEY, serviceId: SERVICE })
  // Without a sealer (an embedder's transport), the file stays as before: clear.
  await saveKey(file, KEY, SERVICE)
  assert.equal(await readFile(file, 'utf8'), `${KEY}\n${SERVICE}\n`)
})
