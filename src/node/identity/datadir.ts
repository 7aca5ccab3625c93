import type envPaths from 'env-paths'
import { chmod, mkdir, readdir } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'

/**
 * The platform's paths for oht (env-paths: ~/.local/share/oht, ~/.config/oht on Linux), loaded
 * only when asked: env-paths' ES import of `node:process` costs a command that names its data
 * directory some milliseconds of start-up.
 */
export function platformPaths (): ReturnType<typeof envPaths> {
  const paths = (createRequire(import.meta.url)('env-paths') as { default: typeof envPaths }).default
  return paths('oht', { suffix: '' })
}

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
  return platformPaths().data
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
