import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { MerkleTree, proofShape, verifyProof, MerkleError } from '../../src/merkle/index.ts'

const leaf = (i: number): Uint8Array => createHash('sha256').update(`leaf ${i}`).digest()
const h = (a: Uint8Array, b: Uint8Array): Buffer => createHash('sha256').update(a).update(b).digest()

test('root of one leaf is the leaf; two and three leaves follow FORMAT.md (odd node promoted)', () => {
  const [a, b, c] = [leaf(0), leaf(1), leaf(2)]
  assert.deepEqual(Buffer.from(new MerkleTree([a]).root), Buffer.from(a))
  assert.deepEqual(Buffer.from(new MerkleTree([a, b]).root), h(a, b))
  assert.deepEqual(Buffer.from(new MerkleTree([a, b, c]).root), h(h(a, b), c))
})

test('every proof verifies for every leaf count from 1 to 40', () => {
  for (let n = 1; n <= 40; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leaf(i))
    const tree = new MerkleTree(leaves)
    for (let i = 0; i < n; i++) {
      const proof = tree.proof(i)
      assert.equal(proof.length, proofShape(i, n).length)
      assert.ok(verifyProof(leaves[i]!, i, n, proof, tree.root), `n=${n} i=${i}`)
    }
  }
})

test('proofs fail for a wrong leaf, index, count, sibling or root', () => {
  const n = 13
  const leaves = Array.from({ length: n }, (_, i) => leaf(i))
  const tree = new MerkleTree(leaves)
  const proof = tree.proof(5)
  assert.equal(verifyProof(leaf(99), 5, n, proof, tree.root), false)
  assert.equal(verifyProof(leaves[5]!, 4, n, proof, tree.root), false)
  assert.equal(verifyProof(leaves[12]!, 12, n + 1, tree.proof(12), tree.root), false, 'the promoted last leaf is not a valid leaf of a larger tree')
  assert.equal(verifyProof(leaves[5]!, 5, n, [...proof.slice(0, -1), randomBytes(32)], tree.root), false)
  assert.equal(verifyProof(leaves[5]!, 5, n, proof.slice(1), tree.root), false, 'short proof')
  assert.equal(verifyProof(leaves[5]!, 5, n, [...proof, randomBytes(32)], tree.root), false, 'long proof')
  assert.equal(verifyProof(leaves[5]!, 5, n, proof, randomBytes(32)), false)
  assert.equal(verifyProof(leaves[5]!, -1, n, proof, tree.root), false)
  assert.equal(verifyProof(leaves[5]!, n, n, proof, tree.root), false)
})

test('an inner node cannot pass for a leaf: the shape comes from the leaf count', () => {
  const leaves = Array.from({ length: 4 }, (_, i) => leaf(i))
  const tree = new MerkleTree(leaves)
  const inner = h(leaves[0]!, leaves[1]!)
  // Claiming the inner node is leaf 0 with the top-level sibling as its whole proof fails.
  assert.equal(verifyProof(inner, 0, 4, [h(leaves[2]!, leaves[3]!)], tree.root), false)
})

test('bad input is refused', () => {
  assert.throws(() => new MerkleTree([]), MerkleError)
  assert.throws(() => new MerkleTree([new Uint8Array(31)]), MerkleError)
  assert.throws(() => new MerkleTree([leaf(0)]).proof(1), MerkleError)
})
