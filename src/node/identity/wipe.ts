// `oht wipe`: the node's secrets first (keystore, account keystores, the onion service key, the
// API token), each overwritten before it is unlinked, then everything else under the data
// directory the same way. What overwriting cannot reach (SSD remapping, filesystem journals,
// copy-on-write snapshots) is in src/store/shred.ts and README "Privacy at rest".
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { shredFile, shredTree } from '../../store/shred.ts'
import { accountsDir } from './account-file.ts'
import { layout } from './datadir.ts'

async function exists (path: string): Promise<boolean> {
  try { await access(path); return true } catch { return false }
}

/** Whether `root` looks like an oht data directory (wipe refuses anything else). */
export async function isDataDir (root: string): Promise<boolean> {
  const l = layout(root)
  for (const p of [l.keystore, l.state, l.blocks]) if (await exists(p)) return true
  return false
}

/** Overwrites and removes the data directory; returns how many files were overwritten. */
export async function wipeDataDir (root: string): Promise<{ files: number }> {
  const l = layout(root)
  let files = 0
  for (const secret of [l.keystore, join(root, 'onion.key'), join(root, 'api.token')]) {
    if (await exists(secret)) { await shredFile(secret); files++ }
  }
  files += await shredTree(accountsDir(root))
  files += await shredTree(root)
  return { files }
}
