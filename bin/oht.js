#!/usr/bin/env node
// Launcher: oht runs its TypeScript sources directly with Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`oht: error: Node ${process.versions.node} is too old; oht needs Node >= 22.18 (run it through npm/npx in the repository, which uses the pinned Node 24)\n`)
  process.exit(1)
}
await import('../cli/main.ts')
