// With no daemon running, the console runs its node itself: a daemon inside this process (the
// same runtime, routes and API socket as `oht daemon`), stopped when the console closes. The
// console then talks to it through the API like to any daemon, so every command behaves alike.
import { NodeRuntime } from '../../src/node/index.ts'
import { apiSocket, configFileFor, dataDirOf, loadRuntimeModules, runtimeOptions, type GlobalOptions, type Output } from '../context.ts'
import { claimMemoryRuntimeDir } from '../memory.ts'

export interface EmbeddedNode {
  runtime: NodeRuntime
  address: string
  close: () => Promise<void>
}

/** Starts the node; its warnings go to `warn` (the console's pane once it is up). */
export async function startEmbedded (g: GlobalOptions, warn: (line: string) => void): Promise<EmbeddedNode> {
  const out: Output = { json: false, quiet: false, info: () => {}, warn, result: () => {}, progressMode: 'none' }
  if (g.memory === true) claimMemoryRuntimeDir()
  await loadRuntimeModules()
  const runtime = await NodeRuntime.open(runtimeOptions(g, out, { network: true, daemon: true }))
  const started = await runtime.startDaemon({ socketPath: apiSocket(dataDirOf(g)), config: configFileFor(g) })
  return { runtime, address: started.address, close: async () => { await runtime.close() } }
}
