#!/usr/bin/env node
// Launcher. oht ships compiled JavaScript in dist/ (`npm run build`, also run by `npm ci` and
// `npm test`): type stripping at run time costs ~25 MiB of memory and start-up time in every
// process. When dist/ is missing or older than any source file (a developer editing the .ts
// files), the sources run directly with Node's type stripping instead, so a stale build is
// never what runs.
import module from 'node:module'
import { join } from 'node:path'
import { builtIsCurrent } from './build-stamp.js'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`oht: error: Node ${process.versions.node} is too old; oht needs Node >= 22.18 (run it through npm/npx in the repository, which uses the pinned Node 24)\n`)
  process.exit(1)
}

// V8's young generation grows to 16 MiB semi-spaces under oht's allocation pattern (many short-
// lived objects around every 256 KiB block): ~25 MiB of committed heap that is mostly empty.
// Capped at 2 MiB, a 1 GiB fetch peaks ~10 MiB lower at the same speed (bench/RESULTS.md, swarm).
// The cap can only be set when V8 starts, so the launcher replaces itself (same process id,
// same stdio) with one started with it; a flag given by the caller is kept as is.
const YOUNG_GENERATION_FLAG = '--max-semi-space-size=2'
// glibc's malloc, left to itself, hands every block-sized buffer (node:crypto allocates each
// 256 KiB cipher output twice) back to the kernel when it is freed and maps it anew for the next
// block: page faults and TLB-flush interrupts across cores on every block. Kept in the heap, a
// 1 GiB fetch over loopback took 4.1 s of CPU instead of 6.7 s (docs/DECISIONS.md). Tunables are
// read when the process starts, so they ride on the same re-execution; a malloc setting the
// caller gave wins, and other C libraries ignore the variable.
const MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=33554432:glibc.malloc.mmap_threshold=1048576'
const givenTunables = process.env.GLIBC_TUNABLES ?? ''
const needsTunables = process.platform === 'linux' && !givenTunables.includes('glibc.malloc.')
const needsYoungCap = !process.execArgv.some(a => a.startsWith('--max-semi-space-size'))
// Only commands that move blocks gain from it; the others (status, ls, config, help, …) start once,
// which halves their start-up (bench/cli.ts).
const HEAVY = new Set(['daemon', 'fetch', 'share', 'stream', 'pin', 'demo', 'import', 'export'])
const args = process.argv.slice(2)
const heavy = args.some(a => HEAVY.has(a)) && !args.some(a => a === '--help' || a === '-h' || a === '--version' || a === '-V')
if (heavy && typeof process.execve === 'function' && (needsYoungCap || needsTunables)) {
  const env = { ...process.env }
  if (needsTunables) env.GLIBC_TUNABLES = givenTunables === '' ? MALLOC_TUNABLES : `${givenTunables}:${MALLOC_TUNABLES}`
  const flags = needsYoungCap ? [YOUNG_GENERATION_FLAG] : []
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], env)
}

const root = join(import.meta.dirname, '..')

// V8's compiled code cached on disk (in the OS temp directory, per Node version and file): the
// second start of a command skips most parsing and compiling. NODE_COMPILE_CACHE overrides it.
// Not with --memory: a memory-only node writes nothing but what the user asks for.
if (!process.argv.includes('--memory')) module.enableCompileCache?.()

await import(builtIsCurrent(root) ? '../dist/cli/main.js' : '../cli/main.ts')
