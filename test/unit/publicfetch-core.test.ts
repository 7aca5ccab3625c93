// The public fetch page's reader (web/pf/core.ts, WebCrypto) against the node's own format code
// (src/blocks, src/merkle) on the same bytes: the FORMAT.md vectors, and a multi-block,
// multi-file share built by the node; every check that must refuse (a changed block, a wrong
// proof, a wrong key, a manifest of another share, hostile CBOR) does.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { buildShare, deriveBlockKey, FileBlockSource, formatLink, openManifest as nodeOpenManifest } from '../../src/blocks/index.ts'
import { MerkleTree, proofShape as nodeProofShape } from '../../src/merkle/index.ts'
import { blockPieces, openBlock, openManifest, parseLink, proofShape, ShareError, verifyBlock } from '../../web/pf/core.ts'
import { tempDir } from '../helpers/cli.ts'

const vectors = JSON.parse(readFileSync(new URL('../vectors/format-v2.json', import.meta.url), 'utf8')) as Array<{ name: string, link: string, manifestHex: string, manifestCid: string, contentKeyHex: string, fileName: string, inputLength: number }>

for (const v of vectors) {
  test(`the page opens the FORMAT.md vector "${v.name}" as src/blocks does`, async () => {
    const link = parseLink(v.link)
    assert.equal(link.shareId, v.manifestCid)
    assert.equal(Buffer.from(link.contentKey).toString('hex'), v.contentKeyHex)
    const bytes = Buffer.from(v.manifestHex, 'hex')
    const share = await openManifest(bytes, link)
    const node = nodeOpenManifest(bytes, link.contentKey)
    assert.deepEqual(share.files, node.body.files)
    assert.equal(share.name, node.body.name)
    assert.equal(share.kind, node.body.kind)
    assert.deepEqual({ ...share.header, root: Buffer.from(share.header.root) }, { ...node.header, cipher: node.header.cipher, root: Buffer.from(node.header.root) })
  })
}

test('parseLink takes the link with or without oht:// (the page\'s fragment) and refuses what is not one', () => {
  const v = vectors[1]!
  const bare = v.link.slice('oht://'.length)
  assert.equal(parseLink(`#${bare}`).shareId, v.manifestCid)
  assert.equal(parseLink(encodeURIComponent(v.link)).shareId, v.manifestCid)
  assert.throws(() => parseLink(v.manifestCid), /has no key/)
  assert.throws(() => parseLink(`${v.manifestCid}#short`), /not 32 bytes/)
  assert.throws(() => parseLink(`bafkreicn7won6cg7zhpfll3q6nedcjh756bec7jeqkvoyhbp3df6eevggi#${'A'.repeat(43)}`), /dag-cbor/)
  assert.throws(() => parseLink(`Qm123#${'A'.repeat(43)}`), /share id/)
})

test('proofShape is src/merkle\'s for every leaf of trees of 1 to 40 leaves', () => {
  for (let n = 1; n <= 40; n++) for (let i = 0; i < n; i++) assert.deepEqual(proofShape(i, n), nodeProofShape(i, n), `${i} of ${n}`)
})

test('a multi-block, multi-file share built by the node: every block verified and decrypted in WebCrypto, byte-identical', async t => {
  const dir = await tempDir(t, 'oht-pf-core-')
  await mkdir(join(dir, 'album'))
  const files = { 'a.bin': randomBytes(40_000), 'b.txt': Buffer.alloc(0), 'c.bin': randomBytes(70_123) }
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, 'album', name), bytes)
  const built = await buildShare([join(dir, 'album')], { blockSize: 16 * 1024 })
  const manifest = built.manifest
  assert.equal(manifest.header.blockCount, 7) // odd: the last leaf is promoted
  const link = parseLink(formatLink({ kind: 'read', manifestCid: manifest.cid, contentKey: built.contentKey }))
  const share = await openManifest(manifest.bytes, link)
  assert.deepEqual(share.files, manifest.body.files)

  const leaves: Uint8Array[] = []
  for (let i = 0; i < manifest.header.blockCount; i++) leaves.push(built.leaves.subarray(i * 32, i * 32 + 32))
  const tree = new MerkleTree(leaves)
  const source = new FileBlockSource(built.files, manifest.header, deriveBlockKey(built.contentKey), built.leaves, false)
  t.after(async () => { await source.close() })
  const out = share.files.map(() => [] as Uint8Array[])
  for (let i = 0; i < manifest.header.blockCount; i++) {
    const ciphertext = await source.get(i)
    const payload = Buffer.concat([...tree.proof(i), ciphertext])
    const plain = await openBlock(share, i, payload)
    for (const p of blockPieces(share, i)) out[p.file]!.push(plain.subarray(p.start, p.end))
  }
  for (const [k, f] of share.files.entries()) {
    assert.deepEqual(Buffer.concat(out[k]!), await readFile(join(dir, f.path)), f.path)
  }

  // What must be refused: one flipped bit of the ciphertext, of a proof hash; the proof of
  // another block; a truncated answer; the key of another share.
  const ciphertext = await source.get(3)
  const proof = tree.proof(3)
  const flipped = Buffer.from(ciphertext)
  flipped[100]! ^= 1
  await assert.rejects(openBlock(share, 3, Buffer.concat([...proof, flipped])), (e: Error) => e instanceof ShareError && /block 3 does not match the share's Merkle root/.test(e.message))
  const badProof = Buffer.concat([...proof, ciphertext])
  badProof[5]! ^= 1
  await assert.rejects(openBlock(share, 3, badProof), /Merkle root/)
  assert.equal(await verifyBlock(share.header, 2, ciphertext, tree.proof(2)), false)
  await assert.rejects(openBlock(share, 3, Buffer.concat([...proof, ciphertext]).subarray(1)), /expected/)
  const other = parseLink(formatLink({ kind: 'read', manifestCid: manifest.cid, contentKey: new Uint8Array(32) }))
  await assert.rejects(openManifest(manifest.bytes, other), /wrong key/)
})

test('a manifest is refused unless it hashes to the share id, and hostile CBOR is one clear error', async () => {
  const v = vectors[2]!
  const link = parseLink(v.link)
  const bytes = Buffer.from(v.manifestHex, 'hex')
  const changed = Buffer.from(bytes)
  changed[changed.length - 1]! ^= 1
  await assert.rejects(openManifest(changed, link), /not this share's/)
  // The same checks past the hash: a link whose id is the hash of the hostile bytes.
  const forged = async (b: Uint8Array): Promise<unknown> => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', b))
    return await openManifest(b, { ...link, digest })
  }
  await assert.rejects(forged(bytes.subarray(0, 40)), (e: Error) => e instanceof ShareError && /truncated/.test(e.message))
  await assert.rejects(forged(Buffer.from([0xbf, 0xff])), (e: Error) => e instanceof ShareError && /indefinite/.test(e.message))
  await assert.rejects(forged(Buffer.from([0x81, 0x00])), (e: Error) => e instanceof ShareError && /not a CBOR map/.test(e.message))
  // Keys out of canonical order ("size" before "root").
  await assert.rejects(forged(Buffer.from('a2647369 7a650064 726f6f74 00'.replace(/ /g, ''), 'hex')), /canonical order/)
  // A non-shortest integer (24 written in two bytes).
  await assert.rejects(forged(Buffer.from('a1636f6874 190018'.replace(/ /g, ''), 'hex')), /shortest/)
})
