// `npm run build`: compiles src/ and cli/ to dist/ with tsc (which also type-checks them) and
// stamps the build so bin/oht.js can tell a current build from a stale one. Everything under
// src/ and cli/ is TypeScript, the crypto worker's entry included (src/blocks/crypto/worker.ts).
// The web UI's browser script (web/app.ts) is compiled to dist/web with its own tsconfig (DOM
// types), and its stylesheet copied beside it.
import { execFileSync } from 'node:child_process'
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const dist = join(root, 'dist')
rmSync(dist, { recursive: true, force: true })
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
execFileSync(process.execPath, [tsc, '-p', join(root, 'web', 'tsconfig.json'), '--noEmit', 'false'], { stdio: 'inherit' })
copyFileSync(join(root, 'web', 'style.css'), join(dist, 'web', 'style.css'))
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`)
