import envPaths from 'env-paths'
import { chmod, mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'

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
  return envPaths('oht', { suffix: '' }).data
}

export function layout (root: string): DataDirLayout {
  return { root, keystore: join(root, 'keystore.json'), state: join(root, 'state'), blocks: join(root, 'blocks') }
}

/** Creates the data directory readable by its owner only: it holds keys and share metadata. */
export async function ensureDataDir (root: string): Promise<DataDirLayout> {
  await mkdir(root, { recursive: true, mode: 0o700 })
  await chmod(root, 0o700)
  const l = layout(root)
  await mkdir(l.blocks, { recursive: true, mode: 0o700 })
  return l
}
