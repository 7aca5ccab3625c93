import type envPaths from 'env-paths'
import { createRequire } from 'node:module'
import { basename, join, resolve } from 'node:path'

export type PlatformPaths = ReturnType<typeof envPaths>

/**
 * The platform's paths for oht: env-paths' (~/Library/… on macOS, %LOCALAPPDATA% on Windows).
 * On Linux and the other XDG systems they are computed here as env-paths computes them
 * (test/unit/platform-paths.test.ts compares the two): loading env-paths costs every command that
 * does not name its data directory its ES import of `node:process`, whose facade creates
 * process.stdin and loads the fs streams with it (~10–25 ms of start-up, docs/DECISIONS.md).
 */
export function platformPaths (env: NodeJS.ProcessEnv = process.env): PlatformPaths {
  if (process.platform !== 'darwin' && process.platform !== 'win32') return xdgPaths('oht', env)
  const paths = (createRequire(import.meta.url)('env-paths') as { default: typeof envPaths }).default
  return paths('oht', { suffix: '' })
}

/** The XDG base directories of `name` (freedesktop.org basedir spec), as env-paths' Linux branch. */
export function xdgPaths (name: string, env: NodeJS.ProcessEnv): PlatformPaths {
  const { homedir, tmpdir } = process.getBuiltinModule('node:os')
  const home = homedir()
  // `||`: an empty variable counts as unset, as the spec (and env-paths) say.
  return {
    data: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), name),
    config: join(env.XDG_CONFIG_HOME || join(home, '.config'), name),
    cache: join(env.XDG_CACHE_HOME || join(home, '.cache'), name),
    log: join(env.XDG_STATE_HOME || join(home, '.local', 'state'), name),
    temp: join(tmpdir(), basename(home), name)
  }
}

/** node:fs/promises when a data directory is made: loading it costs every start (it loads readline). */
const fsp = (): typeof import('node:fs/promises') => process.getBuiltinModule('node:fs/promises')

export interface DataDirLayout {
  root: string
  keystore: string
  state: string
  blocks: string
}

/** `--data-dir` wins, then `OHT_HOME`, then the platform's data path (env-paths). */
export function resolveDataDir (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag != null && flag !== '') return resolve(flag)
  if (env.OHT_HOME != null && env.OHT_HOME !== '') return resolve(env.OHT_HOME)
  return platformPaths(env).data
}

export function layout (root: string): DataDirLayout {
  return { root, keystore: join(root, 'keystore.json'), state: join(root, 'state'), blocks: join(root, 'blocks') }
}

/**
 * Creates the data directory readable by its owner only: it holds keys and share metadata.
 * Folders 0700, and the state database's files 0600 (data directories from before were 0755/0644
 * there; the blockstore's files are tightened when their names are keyed, src/blocks).
 */
export async function ensureDataDir (root: string): Promise<DataDirLayout> {
  const { chmod, mkdir, readdir } = fsp()
  await mkdir(root, { recursive: true, mode: 0o700 })
  await chmod(root, 0o700)
  const l = layout(root)
  for (const dir of [l.blocks, l.state]) {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700)
  }
  for (const e of await readdir(l.state, { withFileTypes: true })) {
    await chmod(join(l.state, e.name), e.isDirectory() ? 0o700 : 0o600)
  }
  return l
}
