// Contender "oht": OhtNode.share of the file into a fresh data directory, in process.
// Timed: open (creates keys and state) + share + close, i.e. everything but module loading.
// The compiled build (dist/, made current by share.ts) is what users run: from the sources, every
// crypto worker thread would load Node's type stripper too (~8 MiB RSS each).
import { join } from 'node:path'
import { childArgs, measure } from './measure.ts'

type NodeModule = typeof import('../../src/node/transfers/node.ts')
const { OhtNode } = await import(new URL('../../dist/src/node/transfers/node.js', import.meta.url).href) as NodeModule

const args = childArgs()

await measure('oht', async () => {
  const t0 = performance.now()
  const node = await OhtNode.open({ dataDir: join(args.tmpDir, 'data') })
  const t1 = performance.now()
  let t2 = t1
  try {
    const result = await node.share([args.file], { blockSize: args.blockSize })
    t2 = performance.now()
    return { bytes: result.bytes, extra: { openSeconds: (t1 - t0) / 1000, shareSeconds: (t2 - t1) / 1000, id: result.id } }
  } finally {
    await node.close()
  }
})
