import { join } from 'node:path'
import { daemonRunning, NodeRuntime, seedDefaultsOf } from '../src/node/index.ts'
import { apiSocket, configFileFor, dataDirOf, runtimeOptions, type GlobalOptions, type Output } from './context.ts'
import { claimMemoryRuntimeDir, removeMemoryDirs } from './memory.ts'
import { t } from './i18n/index.ts'
import { parseNetworkKey } from '../src/onion/network-key.ts'
import { TorTransport } from '../src/onion/index.ts'
import type { PublicFetchLimits } from '../src/node/publicfetch/index.ts'
import { loadAccount, resolveAccountId, scanAccounts, type Account } from '../src/node/identity/accounts.ts'

/** Runs until SIGINT/SIGTERM: node + network + transfers + API; everything is closed on the way out. */
export interface DaemonOptions {
  /** Publish the network's shared onion address too (needs --network and the Tor transport). */
  bootstrapHost?: boolean
  republishMs?: number
  /** The account whose contacts and whispers this daemon serves (default: the only one there is). */
  account?: string
  presenceMs?: number
  /** How long a published name's record lives (default 24 h). */
  nameTtlMs?: number
  /** How often each channel is synced with its members (default 30 s). */
  channelSyncMs?: number
  /** `--public-fetch`: the zero-install fetch page on the node's own address. */
  publicFetch?: PublicFetchLimits
}

export async function runDaemon (g: GlobalOptions, out: Output, options: DaemonOptions = {}): Promise<void> {
  const networkKey = g.network != null ? parseNetworkKey(g.network) : undefined
  if (options.bootstrapHost === true && networkKey == null) throw new Error(t('daemon.hostNeedsNetwork'))
  const dataDir = dataDirOf(g)
  const socket = apiSocket(dataDir)
  if (await daemonRunning(socket)) throw new Error(t('daemon.alreadyRunning', { dataDir }))
  if (g.memory === true) claimMemoryRuntimeDir()
  // Signals are caught from here on, not only once the daemon is up: a SIGTERM that arrives during
  // start-up (or right after the listening line, before a later handler would exist) must still
  // close everything, above all remove the onion services from a shared tor, where a detached
  // service would otherwise outlive us. Start-up finishes (its steps are bounded), then we stop.
  const stopRequested = Promise.withResolvers<void>()
  const onSignal = (): void => { stopRequested.resolve() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const account = await peopleAccount(dataDir, options.account, out)
  const runtime = await NodeRuntime.open({
    ...runtimeOptions(g, out, { network: true, daemon: true }),
    ...(account != null ? { people: { account, ...(options.presenceMs != null ? { presenceMs: options.presenceMs } : {}), ...(options.nameTtlMs != null ? { nameTtlMs: options.nameTtlMs } : {}), ...(options.channelSyncMs != null ? { channelSyncMs: options.channelSyncMs } : {}) } } : {})
  })
  const transport = runtime.network!.transport
  if (options.bootstrapHost === true && !(transport instanceof TorTransport)) {
    await runtime.close()
    throw new Error(t('daemon.hostNeedsTor'))
  }
  const tokenPath = join(dataDir, 'api.token')
  const config = configFileFor(g)
  const started = await runtime.startDaemon({
    socketPath: socket,
    config,
    seedDefaults: () => seedDefaultsOf(config.load()),
    ...(options.publicFetch != null ? { publicFetch: options.publicFetch } : {}),
    ...(g.apiTcp != null ? { tcp: g.apiTcp, tokenPath } : {}),
    ...(options.bootstrapHost === true && networkKey != null
      ? { bootstrapHost: { publisher: transport as TorTransport, key: networkKey, ...(options.republishMs != null ? { republishMs: options.republishMs } : {}) } }
      : {})
  })
  const { address, sharedAddress, seeded, resumed, api, publicFetch } = started
  if (sharedAddress != null && !out.json && !out.quiet) process.stdout.write(t('daemon.hosting', { address: sharedAddress }) + '\n')
  if (out.json) process.stdout.write(JSON.stringify({ type: 'listening', address, sharedAddress: sharedAddress ?? null, nodeId: runtime.node.keys.nodeId, account: account?.id ?? null, api: socket, apiTcp: api.tcpAddress ?? null, seeding: seeded, resumed, publicFetch: publicFetch ?? null }) + '\n')
  else if (!out.quiet) {
    const lines = [t('daemon.node', { nodeId: runtime.node.keys.nodeId }), ...(account != null ? [t('people.daemonAccount', { id: account.id })] : []), t('daemon.listening', { address }), t('daemon.seeding', { count: seeded }), t('daemon.api', { socket })]
    if (resumed > 0) lines.push(t('shares.resumed', { count: resumed }))
    if (api.tcpAddress != null) lines.push(t('daemon.apiTcp', { address: api.tcpAddress, token: tokenPath }))
    if (publicFetch != null) lines.push(t('webui.daemonPublicFetch', { url: publicFetch }))
    process.stdout.write(lines.join('\n') + '\n')
  }
  await stopRequested.promise
  await runtime.close()
  removeMemoryDirs()
}

/**
 * The account whose contacts and whispers the daemon serves: the one asked for (it must unlock
 * with OHT_PASSPHRASE), else the only account of the data directory when it unlocks; none
 * otherwise (contacts are then off, and the API says why).
 */
async function peopleAccount (dataDir: string, wanted: string | undefined, out: Output): Promise<Account | undefined> {
  const passphrase = process.env.OHT_PASSPHRASE ?? ''
  if (wanted != null) return await loadAccount(dataDir, await resolveAccountId(dataDir, wanted, passphrase), passphrase)
  // The keystores name their accounts only inside: one that does not unlock is known by its file.
  const { accounts, locked } = await scanAccounts(dataDir, passphrase)
  if (accounts.length + locked.length !== 1) {
    if (accounts.length + locked.length > 1) out.warn(t('people.daemonSeveral'))
    return undefined
  }
  if (locked.length > 0) {
    out.warn(t('people.daemonLocked', { id: locked[0]! }))
    return undefined
  }
  return await loadAccount(dataDir, accounts[0]!.id, passphrase)
}
