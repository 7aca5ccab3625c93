// The old home of the crypto pool and the block memory helpers, kept for importers outside
// src/blocks (src/swarm, tests): both now live in src/blocks/crypto/.
export { SealPool, sharedCryptoPool, type OpenBlockRequest, type Sealed, type SealPoolOptions, type ServeBlockRequest, type ServedBlock } from './crypto/pool.ts'
export type { BlockRead, BlockWrite, OpenJob, SealJob, SealResult, ServeJob } from './crypto/jobs.ts'
export type { OpenStatus, ServeStatus } from './crypto/block.ts'
export { BufferRecycler, freeWhenSent, isFreedWhenSent, pieceBuffers, releaseBlockMemory, releaseIfSent, tailOwnsBuffer } from './crypto/memory.ts'
