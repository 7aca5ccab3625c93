// `oht repair-state`: what a node does with a state database that does not open whole
// (docs/SECURITY.md). The damaged folder is copied aside first; LevelDB's repair rebuilds what
// it can (a lost CURRENT or MANIFEST, tables and logs that still read); every record that does
// not open under the storage key is then deleted. The report says what was lost, so that the
// shares it named can be shared again.
import { cp } from 'node:fs/promises'
import { checkLevelLogs, forgetTableLedger, LevelBackend, repairLevel, SealedDb } from '../../store/index.ts'
import type { NodeError } from '../errors.ts'
import { layout } from './datadir.ts'
import { readKeystore } from './keystore.ts'
import { NodeState, STATE_KEY_SCHEMES } from './state.ts'

export interface StateRepair {
  /** Where the damaged database was copied before the repair. */
  backup: string
  /** Records that open, kept. */
  kept: number
  /** Records deleted because they did not open, by sublevel (owned, leaves, pins, ...). */
  dropped: Record<string, number>
  /** Places in the logs that did not read back: the records written there are lost. */
  logDamage: string[]
}

/** Repairs the LevelDB state at `path` in place (no process may hold it). */
export async function repairState (path: string, storageKey: Uint8Array, now = new Date()): Promise<StateRepair> {
  const logDamage = (await checkLevelLogs(path)).map(d => d.why === 'the log is missing' ? `${d.file} is missing` : `${d.file} at byte ${d.offset}: ${d.why}`)
  const backup = `${path}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`
  await cp(path, backup, { recursive: true, errorOnExist: true, force: false })
  // The repair rewrites tables: the next open reads every record again (store/table-ledger.ts).
  await forgetTableLedger(path)
  await repairLevel(path)
  const db = new SealedDb(new LevelBackend(path), storageKey, STATE_KEY_SCHEMES)
  try {
    const { kept, dropped } = await db.dropUnreadable()
    return { backup, kept, dropped, logDamage }
  } finally {
    await db.close()
  }
}

/**
 * Opens the state of the node in `dataDir`; only if it is damaged, repairs it and opens it again
 * to be sure. `damaged: false`: it was whole and nothing was touched.
 */
export async function repairNodeState (dataDir: string, passphrase: string): Promise<({ damaged: false } | ({ damaged: true } & StateRepair)) & { path: string }> {
  const dirs = layout(dataDir)
  const keys = await readKeystore(dirs.keystore, passphrase)
  const first = new NodeState({ path: dirs.state }, keys.storageKey)
  try {
    await first.open()
    await first.close()
    return { damaged: false, path: dirs.state }
  } catch (err) {
    if ((err as NodeError).code !== 'node.stateDamaged') throw err
  }
  const report = await repairState(dirs.state, keys.storageKey)
  const again = new NodeState({ path: dirs.state }, keys.storageKey)
  await again.open()
  await again.close()
  return { damaged: true, path: dirs.state, ...report }
}
