export { MerkleTree, MerkleError, merkleRoot, proofShape, verifyProof, equalBytes, HASH_BYTES } from './tree.ts'
