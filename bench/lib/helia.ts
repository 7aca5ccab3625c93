// Contender "helia": @helia/unixfs importing the file (what `ipfs add` does), no libp2p node.
// store "fs" writes every block to a blockstore-fs FsBlockstore on disk (the default for a user);
// "null" discards blocks (BlackHoleBlockstore: the importer's own cost, no writes);
// "memory" keeps them all in RAM (RSS grows with the file, so only meaningful for small sizes).
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import { unixfs } from '@helia/unixfs'
import { FsBlockstore } from 'blockstore-fs'
import { BlackHoleBlockstore, MemoryBlockstore } from 'blockstore-core'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { childArgs, measure } from './measure.ts'

const args = childArgs()
const store = args.store ?? 'fs'
const chunkSize = args.chunkSize ?? 256 * 1024

await measure(args.label ?? `helia-${store}`, async () => {
  const t0 = performance.now()
  const fsStore = store === 'fs' ? new FsBlockstore(join(args.tmpDir, 'blocks')) : undefined
  await fsStore?.open()
  const blockstore = fsStore ?? (store === 'memory' ? new MemoryBlockstore() : new BlackHoleBlockstore())
  const fs = unixfs({ blockstore })
  let bytes = 0
  async function * counted (): AsyncGenerator<Uint8Array> {
    for await (const chunk of createReadStream(args.file, { highWaterMark: args.readSize ?? 64 * 1024 })) {
      bytes += (chunk as Buffer).length
      yield chunk as Buffer
    }
  }
  const source = counted()
  const t1 = performance.now()
  // Kubo's `ipfs add --cid-version=1` shape for 256 KiB chunks (174 links per node); Helia's own
  // default is 1 MiB chunks with 1024 links per node.
  const cid = await fs.addByteStream(source, {
    cidVersion: 1,
    rawLeaves: true,
    chunker: fixedSize({ chunkSize }),
    layout: balanced({ maxChildrenPerNode: chunkSize < 1024 * 1024 ? 174 : 1024 })
  })
  const t2 = performance.now()
  await fsStore?.close()
  return { bytes, extra: { store, chunkSize, cid: cid.toString(), importSeconds: (t2 - t1) / 1000, openSeconds: (t1 - t0) / 1000 } }
})
