// Fills a data directory with `count` records through the NodeState of a compiled tree (dist/),
// so each tree writes its own state format (clear or sealed): held shares (a CAR import's
// record) with the leaves of a 128 MiB share each (512 × 32 bytes), the bulk of a node's state.
// What `bench/store-state.ts --records N` runs once per tree and data directory; each run then
// copies the filled folder. Held records, not owned shares: sharing 2,000 files takes minutes.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'

export function prefill (tree: string, dataDir: string, count: number): void {
  const node = pathToFileURL(join(tree, 'dist', 'src', 'node', 'transfers', 'node.js')).href
  const script = `
    import { randomBytes } from 'node:crypto'
    const { OhtNode } = await import(${JSON.stringify(node)})
    const node = await OhtNode.open({ dataDir: ${JSON.stringify(dataDir)} })
    try {
      for (let i = 0; i < ${count}; i++) {
        const id = 'bafyrei' + randomBytes(26).toString('hex')
        await node.state.putHeld({ id, blockCount: 512, bytes: 512 * 262144, origin: 'import', addedAt: Date.now() }, randomBytes(512 * 32))
      }
    } finally { await node.close() }
    // Opened and closed once more, as a node restarted since: its writes are in tables, not the log.
    await (await OhtNode.open({ dataDir: ${JSON.stringify(dataDir)} })).close()
    process.exit(0)`
  // A file, not --eval: worker threads inherit the parent's flags, and --input-type with them.
  mkdirSync(dirname(dataDir), { recursive: true })
  const file = join(dirname(dataDir), `fill-${Date.now()}.mjs`)
  writeFileSync(file, script)
  execFileSync(process.execPath, [file], { cwd: tree, stdio: 'inherit' })
}
