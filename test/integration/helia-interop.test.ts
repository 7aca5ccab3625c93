// IPFS interop against a real, in-process Helia node (helia's createHeliaLight: the real
// blockstore and UnixFS stack, with networking disabled because this machine is offline).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createHeliaLight } from 'helia'
import { unixfs } from '@helia/unixfs'
import { CarBlockIterator } from '@ipld/car/iterator'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { exportCar } from '../../src/node/transfers/car.ts'
import { decryptBlock, deriveBlockKey, parseReadCap, TAG_BYTES } from '../../src/blocks/index.ts'

for (const size of [0, 1000, 3 * 256 * 1024 + 12345]) {
  test(`a Helia node imports oht's CAR and cat returns the ciphertext blocks in order (${size} bytes)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'oht-helia-'))
    const node = await OhtNode.open({ dataDir: join(dir, 'node') })
    const helia = await createHeliaLight({ routers: [], blockBrokers: [] }).start()
    try {
      const plaintext = randomBytes(size)
      await writeFile(join(dir, 'input.bin'), plaintext)
      const shared = await node.share([join(dir, 'input.bin')])
      const car = await exportCar(node, shared.link, join(dir, 'share.car'))

      const reader = await CarBlockIterator.fromIterable(createReadStream(car.path))
      const roots = await reader.getRoots()
      assert.equal(roots.length, 2)
      assert.equal(roots[0]!.toString(), shared.id)
      assert.equal(roots[1]!.toString(), car.unixfsRoot)
      for await (const { cid, bytes } of reader) await helia.blockstore.put(cid, bytes)

      const chunks: Uint8Array[] = []
      for await (const chunk of unixfs(helia).cat(roots[1]!, { offline: true })) chunks.push(chunk)
      const ciphertext = Buffer.concat(chunks)

      // The blocks Helia returns are exactly oht's: same bytes as the node's own block source.
      const local = await node.ciphertextSource(roots[0]!)
      assert.ok(local != null)
      const expected: Uint8Array[] = []
      for (let i = 0; i < local.header.blockCount; i++) expected.push(await local.source.get(i))
      assert.ok(ciphertext.equals(Buffer.concat(expected)), 'Helia cat equals the concatenated ciphertext blocks')
      assert.ok(!ciphertext.includes(plaintext.subarray(0, Math.min(64, size))) || size === 0, 'no plaintext in what IPFS holds')

      // And oht's link decrypts what Helia returned back to the original.
      const { contentKey } = parseReadCap(shared.link)
      const blockKey = deriveBlockKey(contentKey)
      const step = local.header.blockSize + TAG_BYTES
      const parts: Buffer[] = []
      for (let i = 0, off = 0; i < local.header.blockCount; i++, off += step) {
        parts.push(decryptBlock(blockKey, i, ciphertext.subarray(off, Math.min(off + step, ciphertext.length))))
      }
      assert.ok(Buffer.concat(parts).equals(plaintext))
    } finally {
      await helia.stop()
      await node.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
}
