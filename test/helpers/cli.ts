// Runs the real oht CLI (`node bin/oht.js`) as a child process, and small file-system helpers
// for tests that drive it: fresh temp dirs, recursive listings, failure assertions.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { lstat, mkdtemp, readdir, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (cwd of every child). */
export const REPO = fileURLToPath(new URL('../../', import.meta.url))
export const OHT_BIN = join(REPO, 'bin', 'oht.js')

/** The pinned Node 24 of the repository; the running one if it is missing. */
export const NODE_BIN = ((): string => {
  const pinned = join(REPO, 'node_modules', '.bin', 'node')
  return existsSync(pinned) ? pinned : process.execPath
})()

export interface CliResult {
  /** Exit code; null when the child was killed (timeout). */
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  /** Add `--json` before the command. */
  json?: boolean
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>
  /** Kill the child after this long (default 30 s). */
  timeoutMs?: number
}

/** Variables that would change the CLI's behaviour if inherited from the test's environment. */
const SCRUBBED = ['OHT_PASSPHRASE', 'OHT_HOME', 'OHT_DEBUG', 'NODE_OPTIONS', 'NODE_TEST_CONTEXT', 'NODE_COMPILE_CACHE']

let compileCache: string | undefined

/**
 * One V8 compile cache shared by the children of this test process (Node's NODE_COMPILE_CACHE):
 * it halves the CLI's start-up, which dominates these tests. Removed when the process exits.
 */
function compileCacheDir (): string {
  if (compileCache == null) {
    const dir = mkdtempSync(join(tmpdir(), 'oht-cli-compile-cache-'))
    process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
    compileCache = dir
  }
  return compileCache
}

function childEnv (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const k of SCRUBBED) delete env[k]
  env.NODE_COMPILE_CACHE = compileCacheDir()
  env.PATH = `${join(REPO, 'node_modules', '.bin')}:${env.PATH ?? ''}`
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** `node bin/oht.js [--data-dir <dataDir>] [--json] <args>` with cwd = the repository. */
export async function oht (dataDir: string | undefined, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const argv = [OHT_BIN]
  if (dataDir != null) argv.push('--data-dir', dataDir)
  if (options.json === true) argv.push('--json')
  argv.push(...args)
  return await new Promise((resolve, reject) => {
    const child = execFile(NODE_BIN, argv, {
      cwd: REPO,
      env: childEnv(options.env),
      timeout: options.timeoutMs ?? 30_000,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
      encoding: 'utf8'
    }, (err, stdout, stderr) => {
      if (err != null && typeof (err as { code?: unknown }).code === 'string') { reject(err); return } // spawn failure
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr })
    })
    child.stdin?.end()
  })
}

/** Runs oht and asserts exit 0; returns the parsed JSON result when `json` is set. */
export async function ohtOk (dataDir: string | undefined, args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const r = await oht(dataDir, args, options)
  assert.equal(r.code, 0, `oht ${args.join(' ')} failed (code ${String(r.code)}, signal ${String(r.signal)}):\n${r.stderr}`)
  return r
}

/** Runs `oht --json <args>`, asserts exit 0 and exactly one JSON line on stdout, returns it parsed. */
export async function ohtJson<T = Record<string, unknown>> (dataDir: string | undefined, args: readonly string[], options: RunOptions = {}): Promise<{ value: T, result: CliResult }> {
  const r = await ohtOk(dataDir, args, { ...options, json: true })
  const lines = r.stdout.split('\n').filter(l => l !== '')
  assert.equal(lines.length, 1, `expected one JSON line on stdout, got:\n${r.stdout}`)
  return { value: JSON.parse(lines[0]!) as T, result: r }
}

/**
 * Asserts a clean failure: non-zero exit (not a kill), exactly one `oht: error: ...` line on
 * stderr matching `pattern`, and no stack trace. Returns the error line.
 */
export function assertCliError (r: CliResult, pattern: RegExp): string {
  assert.equal(r.signal, null, `oht was killed by ${String(r.signal)} (timeout?)\nstderr:\n${r.stderr}`)
  assert.notEqual(r.code, 0, `expected a failure, got exit 0\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  const errors = r.stderr.split('\n').filter(l => l.startsWith('oht: error: '))
  assert.equal(errors.length, 1, `expected one "oht: error:" line on stderr, got:\n${r.stderr}`)
  assert.doesNotMatch(r.stderr, /^\s+at .+[:(]/m, `stderr carries a stack trace:\n${r.stderr}`)
  const line = errors[0]!
  assert.match(line, pattern, `error line does not match ${String(pattern)}`)
  return line
}

export interface TestContextLike {
  after: (fn: () => Promise<void> | void) => void
}

/** A fresh directory under os.tmpdir(), removed (even if made read-only) when the test ends. */
export async function tempDir (t: TestContextLike, prefix = 'oht-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  t.after(async () => { await rm(dir, { recursive: true, force: true, maxRetries: 3 }) })
  return dir
}

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other'
  size?: number
  target?: string
}

/** Every entry under `root` (relative '/'-separated paths), without following links. */
export async function listTree (root: string): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>()
  async function walk (dir: string, prefix: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const abs = join(dir, name)
      const rel = prefix === '' ? name : `${prefix}/${name}`
      const info = await lstat(abs)
      if (info.isSymbolicLink()) out.set(rel, { type: 'symlink', target: await readlink(abs) })
      else if (info.isDirectory()) { out.set(rel, { type: 'dir' }); await walk(abs, rel) } else if (info.isFile()) out.set(rel, { type: 'file', size: info.size })
      else out.set(rel, { type: 'other' })
    }
  }
  await walk(root, '')
  return out
}

export async function exists (path: string): Promise<boolean> {
  try { await lstat(path); return true } catch { return false }
}

/** True when the process can read files regardless of their mode bits (root, CAP_DAC_OVERRIDE). */
export function bypassesPermissions (): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0
}
