import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import {
  blockNonce, decryptBlock, DecryptError, encodeManifest, encryptBlock, FORMAT_VERSION, CIPHER, LinkError,
  ManifestError, openManifest, decodeManifest, parseCapability, parseReadCap, formatLink, formatVerifyCap,
  verifyCapOf, seal, deriveManifestKey, MANIFEST_NONCE, cidOf, DAG_CBOR_CODEC, blockCountFor, blockLength,
  type ManifestBody, type ManifestHeader
} from '../../src/blocks/index.ts'

const key = (): Uint8Array => new Uint8Array(randomBytes(32))
const header = (over: Partial<ManifestHeader> = {}): ManifestHeader =>
  ({ version: FORMAT_VERSION, cipher: CIPHER, blockSize: 262144, blockCount: 1, size: 10, root: new Uint8Array(32), ...over })
const body = (files: ManifestBody['files'], kind: 'file' | 'dir' = 'dir'): ManifestBody => ({ kind, name: 'share', created: 1, files })

test('block nonce is 4 zero bytes then the index big-endian', () => {
  assert.equal(blockNonce(0).toString('hex'), '000000000000000000000000')
  assert.equal(blockNonce(258).toString('hex'), '000000000000000000000102')
})

test('blocks round-trip; a flipped bit, a wrong index or a wrong key fails', () => {
  const k = key()
  const pt = randomBytes(1000)
  const ct = encryptBlock(k, 7, pt)
  assert.equal(ct.length, 1016)
  assert.deepEqual(decryptBlock(k, 7, ct), pt)
  assert.deepEqual(encryptBlock(k, 7, pt), ct, 'deterministic: owners re-encrypt on demand')
  assert.throws(() => decryptBlock(k, 8, ct), DecryptError)
  assert.throws(() => decryptBlock(key(), 7, ct), DecryptError)
  const bad = Buffer.from(ct); bad[3]! ^= 1
  assert.throws(() => decryptBlock(k, 7, bad), DecryptError)
  assert.throws(() => decryptBlock(k, 7, ct.subarray(0, 10)), DecryptError)
})

test('manifest round-trips and its id is the CID of its bytes', () => {
  const k = key()
  const m = encodeManifest(header(), body([{ path: 'share/a.txt', size: 10, mime: 'text/plain' }]), k)
  assert.ok(m.cid.equals(cidOf(DAG_CBOR_CODEC, m.bytes)))
  const back = openManifest(m.bytes, k, m.cid)
  assert.deepEqual(back.body, m.body)
  assert.deepEqual(back.header, m.header)
})

test('a wrong key and a tampered header are reported as wrong key or corruption', () => {
  const k = key()
  const m = encodeManifest(header(), body([{ path: 'share/a', size: 10 }]), k)
  assert.throws(() => openManifest(m.bytes, key()), /wrong key|corrupted/)
  const raw = dagCbor.decode(m.bytes) as Record<string, unknown>
  const tampered = dagCbor.encode({ ...raw, size: 11, blockCount: 1 })
  assert.throws(() => openManifest(tampered, k), /wrong key|corrupted/)
  assert.throws(() => decodeManifest(m.bytes, cidOf(DAG_CBOR_CODEC, tampered)), /do not hash/)
})

test('headers with absurd values are refused', () => {
  const k = key()
  const b = body([{ path: 'share/a', size: 10 }])
  assert.throws(() => encodeManifest(header({ version: FORMAT_VERSION + 1 }), b, k), /version/)
  assert.throws(() => encodeManifest(header({ version: 1 }), b, k), /version/) // format v1: labels without NUL
  assert.throws(() => encodeManifest(header({ blockSize: 1000 }), b, k), /power of two/)
  assert.throws(() => encodeManifest(header({ blockSize: 2 ** 30 }), b, k), /power of two/)
  assert.throws(() => encodeManifest(header({ blockCount: 5 }), b, k), /block count/)
  assert.throws(() => encodeManifest(header({ root: new Uint8Array(5) }), b, k), /root/)
  assert.throws(() => decodeManifest(dagCbor.encode({ oht: 1 })), ManifestError)
  assert.throws(() => decodeManifest(randomBytes(100)), ManifestError)
})

/** Seals a body without validation, as a hostile sharer would. */
function hostile (files: unknown[], size: number, kind = 'dir'): { bytes: Uint8Array, k: Uint8Array } {
  const k = key()
  const h = header({ size, blockCount: blockCountFor(size, 262144) })
  const fields = { oht: h.version, cipher: h.cipher, blockSize: h.blockSize, blockCount: h.blockCount, size: h.size, root: h.root }
  const sealed = seal(deriveManifestKey(k), MANIFEST_NONCE, dagCbor.encode({ kind, name: 'share', created: 1, files }), dagCbor.encode(fields))
  return { bytes: dagCbor.encode({ ...fields, body: new Uint8Array(sealed) }), k }
}

test('hostile file tables are refused', () => {
  const cases: Array<[string, unknown[], number]> = [
    ['parent escape', [{ path: '../evil', size: 1 }], 1],
    ['inner ..', [{ path: 'share/../../evil', size: 1 }], 1],
    ['absolute', [{ path: '/etc/passwd', size: 1 }], 1],
    ['NUL', [{ path: 'share/a\0b', size: 1 }], 1],
    ['backslash', [{ path: 'share\\..\\evil', size: 1 }], 1],
    ['drive', [{ path: 'C:/evil', size: 1 }], 1],
    ['empty segment', [{ path: 'share//a', size: 1 }], 1],
    ['dot', [{ path: './a', size: 1 }], 1],
    ['control char', [{ path: 'share/a\nb', size: 1 }], 1],
    ['duplicate', [{ path: 'share/a', size: 1 }, { path: 'share/a', size: 1 }], 2],
    ['file is also dir', [{ path: 'share/a', size: 1 }, { path: 'share/a/b', size: 1 }], 2],
    ['sizes do not add up', [{ path: 'share/a', size: 5 }], 10],
    ['absurd size', [{ path: 'share/a', size: 2 ** 53 }], 10],
    ['negative size', [{ path: 'share/a', size: -1 }], 0],
    ['fractional size', [{ path: 'share/a', size: 1.5 }], 1],
    ['no files', [], 0],
    ['long name', [{ path: `share/${'x'.repeat(300)}`, size: 1 }], 1],
    ['not a map', ['share/a'], 1],
    ['path not a string', [{ path: 42, size: 1 }], 1]
  ]
  for (const [name, files, size] of cases) {
    const { bytes, k } = hostile(files, size)
    assert.throws(() => openManifest(bytes, k), ManifestError, name)
  }
  const two = hostile([{ path: 'share/a', size: 1 }, { path: 'share/b', size: 1 }], 2, 'file')
  assert.throws(() => openManifest(two.bytes, two.k), /exactly one file/)
})

test('links and verify capabilities parse, format, and refuse malformed input', () => {
  const k = key()
  const m = encodeManifest(header(), body([{ path: 'share/a', size: 10 }]), k)
  const link = formatLink({ kind: 'read', manifestCid: m.cid, contentKey: k })
  const cap = parseReadCap(link)
  assert.deepEqual(cap.contentKey, k)
  const verify = formatVerifyCap(verifyCapOf(cap))
  assert.match(verify, /^oht-verify:\/\//)
  assert.equal(parseCapability(verify).kind, 'verify')
  assert.throws(() => parseReadCap(verify), /verify capability/)
  for (const bad of ['', 'http://example.com', 'oht://notacid#abc', `oht://${m.cid.toString()}`, `oht://${m.cid.toString()}#short`,
    `oht://${m.cid.toString()}#${Buffer.from(randomBytes(33)).toString('base64url')}`,
    `oht://bafkreigyqu6kbiduw4p6fxon2qclkvy5wcf6erjgjlo4lz7rnlsuwcswlm#${Buffer.from(k).toString('base64url')}`,
    `${link}/extra`]) {
    assert.throws(() => parseCapability(bad), LinkError, JSON.stringify(bad))
  }
})

test('block lengths follow the header; the empty share is one empty block', () => {
  assert.equal(blockCountFor(0, 16384), 1)
  assert.equal(blockCountFor(16384, 16384), 1)
  assert.equal(blockCountFor(16385, 16384), 2)
  const h = { size: 40000, blockSize: 16384, blockCount: 3 }
  assert.deepEqual([0, 1, 2].map(i => blockLength(h, i)), [16384, 16384, 7232])
  assert.equal(blockLength({ size: 0, blockSize: 16384, blockCount: 1 }, 0), 0)
})
