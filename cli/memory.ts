// `--memory`: a node that writes nothing of its own to disk. Keys, state, blocks and DHT records
// live in the process (src/node: OhtNode.open's `memory`); what must be a file for other
// processes (the daemon's API socket, tor's own DataDirectory) goes in private folders (0700) of
// the user's runtime directory ($XDG_RUNTIME_DIR, a tmpfs, else the temp dir), removed on exit.
// A process killed with SIGKILL cannot remove them: the runtime directory goes at logout/reboot.
import { join } from 'node:path'

// Not ES imports of node:fs and node:os: their facades cost every start (bin/build-stamp.js).
const { mkdirSync, mkdtempSync, rmSync } = process.getBuiltinModule('node:fs')
const { tmpdir } = process.getBuiltinModule('node:os')

const toRemove = new Set<string>()
let hooked = false

function removeOnExit (dir: string): void {
  toRemove.add(dir)
  if (hooked) return
  hooked = true
  process.on('exit', () => { for (const d of toRemove) rmSync(d, { recursive: true, force: true }) })
}

/** Removes the folders made for this process now (the daemon, once it has closed everything). */
export function removeMemoryDirs (): void {
  for (const d of toRemove) rmSync(d, { recursive: true, force: true })
  toRemove.clear()
}

function runtimeBase (): string {
  const xdg = process.env.XDG_RUNTIME_DIR
  return xdg != null && xdg !== '' ? xdg : tmpdir()
}

/**
 * Where a memory-only node's daemon keeps its API socket, one per user: the commands of
 * `oht --memory …` find the daemon there. Nothing else is written to it.
 */
export function memoryRuntimeDir (): string {
  return join(runtimeBase(), `oht-memory-${process.getuid?.() ?? 'user'}`)
}

/** Creates the memory runtime folder (0700) for this process, removed when it exits. */
export function claimMemoryRuntimeDir (): string {
  const dir = memoryRuntimeDir()
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  removeOnExit(dir)
  return dir
}

/** A fresh private folder (mkdtemp: 0700), removed when this process exits: tor's DataDirectory. */
export function privateTempDir (prefix: string): string {
  const dir = mkdtempSync(join(runtimeBase(), prefix))
  removeOnExit(dir)
  return dir
}
