import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

// merkle-tools is CommonJS with no typings; this is the part of it we use.
interface MerkleToolsInstance {
  addLeaves(values: Buffer[], doHash?: boolean): void
  makeTree(doubleHash?: boolean): void
  getMerkleRoot(): Buffer | null
  getProof(index: number, asBinary: true): Buffer[] | null
  getLeafCount(): number
}
type MerkleToolsCtor = new (options?: { hashType?: string }) => MerkleToolsInstance
const MerkleTools = createRequire(import.meta.url)('merkle-tools') as MerkleToolsCtor

export const HASH_BYTES = 32

export class MerkleError extends Error {
  override name = 'MerkleError'
}

/**
 * Merkle tree over the ordered block hashes of a share (FORMAT.md "Merkle tree").
 * Inner node = SHA-256(left || right); an odd last node is promoted unchanged.
 * The tree is only meaningful together with its leaf count: proofs are checked against
 * the path that (index, count) dictates, never against positions the prover claims.
 */
export class MerkleTree {
  readonly leafCount: number
  readonly root: Uint8Array
  readonly #tools: MerkleToolsInstance

  constructor (leaves: readonly Uint8Array[]) {
    if (leaves.length === 0) throw new MerkleError('a Merkle tree needs at least one leaf')
    for (const leaf of leaves) {
      if (leaf.length !== HASH_BYTES) throw new MerkleError(`leaf must be ${HASH_BYTES} bytes, got ${leaf.length}`)
    }
    this.#tools = new MerkleTools({ hashType: 'sha256' })
    this.#tools.addLeaves(leaves.map(toBuffer))
    this.#tools.makeTree(false)
    const root = this.#tools.getMerkleRoot()
    if (root == null) throw new MerkleError('merkle-tools returned no root')
    this.leafCount = leaves.length
    this.root = new Uint8Array(root)
  }

  /** Sibling hashes from the leaf up to the root, promoted levels skipped. */
  proof (index: number): Uint8Array[] {
    checkIndex(index, this.leafCount)
    const binary = this.#tools.getProof(index, true)
    if (binary == null) throw new MerkleError(`no proof for leaf ${index}`)
    // asBinary interleaves a one-byte side marker (0 = left, 1 = right) with each sibling;
    // the side is implied by (index, count), so only the hashes travel.
    const siblings: Uint8Array[] = []
    for (let i = 1; i < binary.length; i += 2) siblings.push(new Uint8Array(binary[i]!))
    return siblings
  }
}

export function merkleRoot (leaves: readonly Uint8Array[]): Uint8Array {
  return new MerkleTree(leaves).root
}

/** Which side each sibling of leaf `index` sits on, leaf level first. Promoted levels are absent. */
export function proofShape (index: number, leafCount: number): Array<'left' | 'right'> {
  checkIndex(index, leafCount)
  const sides: Array<'left' | 'right'> = []
  let i = index
  let width = leafCount
  while (width > 1) {
    const promoted = i === width - 1 && width % 2 === 1
    if (!promoted) sides.push(i % 2 === 1 ? 'left' : 'right')
    i = Math.floor(i / 2)
    width = Math.ceil(width / 2)
  }
  return sides
}

/** True when `siblings` proves that `leaf` is leaf number `index` of a `leafCount`-leaf tree with `root`. */
export function verifyProof (leaf: Uint8Array, index: number, leafCount: number, siblings: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) return false
  const shape = proofShape(index, leafCount)
  if (siblings.length !== shape.length || leaf.length !== HASH_BYTES) return false
  let acc: Uint8Array = leaf
  for (let level = 0; level < shape.length; level++) {
    const sibling = siblings[level]!
    if (sibling.length !== HASH_BYTES) return false
    const h = createHash('sha256')
    if (shape[level] === 'left') h.update(sibling).update(acc)
    else h.update(acc).update(sibling)
    acc = h.digest()
  }
  return equalBytes(acc, root)
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function checkIndex (index: number, leafCount: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) {
    throw new MerkleError(`leaf index ${index} out of range 0..${leafCount - 1}`)
  }
}

function toBuffer (bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
