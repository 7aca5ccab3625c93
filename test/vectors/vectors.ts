// Builds the FORMAT.md test vectors from fixed inputs. `node test/vectors/vectors.ts` prints them;
// test/unit/vectors.test.ts checks that the code still produces exactly the recorded ones.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  blockCid, buildShare, deriveBlockKey, deriveManifestKey, deriveSwarmKey, formatLink, formatVerifyCap,
  splitLeaves, topicOf, verifyCapOf, type ReadCap
} from '../../src/blocks/index.ts'

export interface VectorCase {
  name: string
  fileName: string
  /** Input byte i is (i * 7 + 3) mod 256. */
  inputLength: number
  blockSize: number
  created: number
  contentKeyHex: string
}

export const CASES: VectorCase[] = [
  { name: 'empty file', fileName: 'empty.txt', inputLength: 0, blockSize: 16384, created: 1700000000, contentKeyHex: '00'.repeat(32) },
  { name: 'one block', fileName: 'hello.txt', inputLength: 100, blockSize: 16384, created: 1700000000, contentKeyHex: Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('hex') },
  { name: 'three blocks (odd Merkle node promoted)', fileName: 'three.bin', inputLength: 40000, blockSize: 16384, created: 1700000000, contentKeyHex: 'ff'.repeat(32) }
]

export function vectorInput (length: number): Buffer {
  const b = Buffer.alloc(length)
  for (let i = 0; i < length; i++) b[i] = (i * 7 + 3) & 0xff
  return b
}

export async function computeVector (c: VectorCase): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-vector-'))
  try {
    const path = join(dir, c.fileName)
    await writeFile(path, vectorInput(c.inputLength))
    const contentKey = new Uint8Array(Buffer.from(c.contentKeyHex, 'hex'))
    const built = await buildShare([path], { blockSize: c.blockSize, contentKey, created: c.created })
    const read: ReadCap = { kind: 'read', manifestCid: built.manifest.cid, contentKey }
    const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
    return {
      ...c,
      blockKeyHex: hex(deriveBlockKey(contentKey)),
      manifestKeyHex: hex(deriveManifestKey(contentKey)),
      swarmKeyHex: hex(deriveSwarmKey(contentKey)),
      blockCids: splitLeaves(built.leaves).map(l => blockCid(l).toString()),
      merkleRootHex: hex(built.manifest.header.root),
      manifestHex: hex(built.manifest.bytes),
      manifestCid: built.manifest.cid.toString(),
      link: formatLink(read),
      verifyCap: formatVerifyCap(verifyCapOf(read)),
      topicHex: hex(topicOf(read))
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const out = []
  for (const c of CASES) out.push(await computeVector(c))
  process.stdout.write(JSON.stringify(out, null, 2) + '\n')
}
