import { resolve } from 'node:path'
import { stat } from 'node:fs/promises'
import { parseCapability, readShareCar, writeShareCar, type Capability, type CID } from '../../blocks/index.ts'
import { FetchError, type OhtNode } from './node.ts'

export interface ExportResult {
  path: string
  id: string
  unixfsRoot: string
  blocks: number
  bytes: number
}

export interface ImportResult {
  id: string
  unixfsRoot: string
  blocks: number
  bytes: number
}

/**
 * Writes the ciphertext of a share this node owns or holds as a CAR (IPFS interop). A capability
 * in text form is accepted for callers that hold nothing else (it is parsed here, once).
 */
export async function exportCar (node: OhtNode, capability: Capability | string, output?: string, onProgress?: (done: number, total: number) => void): Promise<ExportResult> {
  const cap = typeof capability === 'string' ? parseCapability(capability) : capability
  const held = await node.ciphertextSource(cap.manifestCid)
  if (held == null) throw new FetchError('fetch.notHeld', { share: cap.manifestCid.toString() }, `share ${cap.manifestCid.toString()} is not held by this node`)
  const { header, source } = held
  const path = resolve(output ?? `${cap.manifestCid.toString()}.car`)
  async function * blocks (): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < header.blockCount; i++) {
      yield await source.get(i)
      onProgress?.(Math.min(header.size, (i + 1) * header.blockSize), header.size)
    }
  }
  let r
  try {
    r = await writeShareCar(path, { cid: cap.manifestCid, bytes: held.manifestBytes }, blocks())
  } finally {
    await source.close?.()
  }
  return { path, id: cap.manifestCid.toString(), unixfsRoot: r.unixfsRoot.toString(), blocks: r.blocks, bytes: (await stat(path)).size }
}

/** Imports an oht CAR: verified in full before anything is stored. */
export async function importCar (node: OhtNode, file: string): Promise<ImportResult> {
  const { manifest, unixfsRoot, leaves } = await readShareCar(resolve(file), async (cid: CID, bytes: Uint8Array) => {
    await node.blockstore.put(cid, bytes)
  })
  const id = manifest.cid.toString()
  // readShareCar has checked the leaves against the manifest's Merkle root.
  await node.state.putHeld({ id, blockCount: manifest.header.blockCount, bytes: manifest.header.size, origin: 'import', addedAt: Date.now() }, leaves)
  return { id, unixfsRoot: unixfsRoot.toString(), blocks: manifest.header.blockCount, bytes: manifest.header.size }
}
