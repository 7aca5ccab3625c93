// `npm run build`: compiles src/ and cli/ to dist/ with tsc (which also type-checks them) and
// stamps the build so bin/oht.js can tell a current build from a stale one. Everything under
// src/ and cli/ is TypeScript, the crypto worker's entry included (src/blocks/crypto/worker.ts).
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const dist = join(root, 'dist')
rmSync(dist, { recursive: true, force: true })
execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`)
