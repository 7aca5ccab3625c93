import { join } from 'node:path'
import type { Command } from 'commander'
// Start-up: this module is loaded by every command, so what only some need (the node runtime,
// transports, the API client) is imported when first used (bench/cli.ts).
import type {
  DaemonClient, NodeRuntime, OhtNode, NetworkLimits, NodeRuntimeOptions, NodeService, NodeWarning
} from '../src/node/index.ts'
import { ConfigError, ConfigFile, configPath, type ConfigValues } from '../src/node/identity/config.ts'
import { resolveDataDir } from '../src/node/identity/datadir.ts'
import type { Transport } from '../src/onion/index.ts'
import { parseSize } from './units.ts'
import { PROGRESS_MODES, type ProgressMode } from './progress.ts'
import { catalogs, setLocale, t } from './i18n/index.ts'
import type { GlobalOptions } from './options.ts'
import { ensurePassphrase } from './passphrase.ts'
import { memoryRuntimeDir, privateTempDir } from './memory.ts'

interface RuntimeModules {
  TcpTransport: typeof import('../src/onion/tcp.ts').TcpTransport
  makeTorTransport: typeof import('./tor.ts').makeTorTransport
  parseNetworkKey: typeof import('../src/onion/network-key.ts').parseNetworkKey
}
let runtimeModules: RuntimeModules | undefined

/** Loads what runtimeOptions() and makeTransport() need; call (once) before either. */
export async function loadRuntimeModules (): Promise<void> {
  if (runtimeModules != null) return
  const [tcp, tor, key] = await Promise.all([import('../src/onion/tcp.ts'), import('./tor.ts'), import('../src/onion/network-key.ts')])
  runtimeModules = { TcpTransport: tcp.TcpTransport, makeTorTransport: tor.makeTorTransport, parseNetworkKey: key.parseNetworkKey }
}

function loaded (): RuntimeModules {
  if (runtimeModules == null) throw new Error('internal: loadRuntimeModules() was not awaited')
  return runtimeModules
}

export type { GlobalOptions } from './options.ts'

/**
 * The folder a command's node uses: the data directory, or with --memory the private runtime
 * folder that holds only a memory daemon's API socket.
 */
export function dataDirOf (g: GlobalOptions): string {
  if (g.memory !== true) return resolveDataDir(g.dataDir)
  if (g.dataDir != null) throw new Error(t('privacy.memoryWithDataDir'))
  return memoryRuntimeDir()
}

/**
 * The folder a node of this process is given: the data directory; with --memory the runtime
 * folder for the daemon (its API socket), and for an embedded node a private temp folder of its
 * own (a stream's default output goes there), removed on exit like the rest.
 */
function nodeDirOf (g: GlobalOptions, daemon: boolean): string {
  const dir = dataDirOf(g)
  return g.memory === true && !daemon ? privateTempDir('oht-memory-') : dir
}

/** The data directory, for commands that keep files of their own in it (accounts, wipe): never with --memory. */
export function persistentDataDir (g: GlobalOptions, what: string): string {
  if (g.memory === true) throw new Error(t('privacy.memoryNoDataDir', { what }))
  return resolveDataDir(g.dataDir)
}

/** The config file of these options' data directory ($OHT_CONFIG overrides; see src/node/identity/config.ts). */
export function configFileFor (g: GlobalOptions): ConfigFile {
  return new ConfigFile(configPath(g.dataDir != null ? { dataDir: g.dataDir } : {}))
}

/** Global options a config key fills in when the command line does not set them. */
const CONFIG_TO_OPTION: Readonly<Record<string, keyof GlobalOptions>> = {
  transport: 'transport', listen: 'listen', maxUpload: 'maxUpload', maxDownload: 'maxDownload', maxUploadPerPeer: 'maxUploadPerPeer', maxDownloadPerPeer: 'maxDownloadPerPeer', lang: 'lang', 'api.tcp': 'apiTcp', bootstrap: 'bootstrap'
}

/**
 * Fills the program's global options from the config file, under the command line (a flag or
 * environment value always wins), and chooses the language (--lang, the config's lang, LANG).
 * Runs before every command's action (main.ts), so every command sees the merged options.
 */
export function applyConfig (program: Command): void {
  const g = program.opts<GlobalOptions>()
  let values: ConfigValues
  try {
    values = configFileFor(g).load()
  } catch (err) {
    throw err instanceof ConfigError ? Object.assign(new Error(configErrorText(err)), { code: `config.${err.code}` }) : err
  }
  for (const [key, option] of Object.entries(CONFIG_TO_OPTION)) {
    const value = values[key]
    if (typeof value !== 'string' && !Array.isArray(value)) continue
    const source = program.getOptionValueSource(option)
    if (source === 'cli' || source === 'env') continue
    program.setOptionValueWithSource(option, value, 'config')
  }
  const lang = program.opts<GlobalOptions>().lang
  if (lang != null) setLocale(lang)
}

/** A config error in the user's language. */
export function configErrorText (err: { code: string, params: Record<string, string> }): string {
  const params = { ...err.params }
  if (params.expected != null) params.expected = t(`config.expected.${params.expected}`)
  return t(`config.error.${err.code}`, params)
}

const CONFIG_ERROR_CODES = new Set(['unknownKey', 'badValue', 'badFile'])

/**
 * An error in the user's language: the node's errors (and the daemon's, over the API) by their
 * code when the catalogs have it (cli/i18n/<lang>/errors.ts), else their own message.
 */
export function errorText (err: unknown): string {
  if (err instanceof ConfigError) return configErrorText(err)
  if (err instanceof Error && err.name === 'TorBootstrapError') {
    const e = err as Error & { seconds: number, last: string }
    return t('tor.bootstrapFailed', { seconds: e.seconds, last: e.last })
  }
  // The node's errors (NodeError and its kinds) and the daemon's (ApiError) by their shape: their
  // classes are not loaded for commands that never open a node.
  const coded = err as { code?: unknown, params?: Record<string, string> } | null
  if (err instanceof Error && typeof coded?.code === 'string') {
    const code = coded.code
    const params = coded.params ?? {}
    if (err.name === 'ApiError' && CONFIG_ERROR_CODES.has(code)) return configErrorText({ code, params })
    const key = `errors.${code}`
    if (key in catalogs.en) return t(key, params)
  }
  return err instanceof Error ? err.message : String(err)
}

/** A warning of the node in the user's language. */
export function warningText (w: NodeWarning): string {
  switch (w.type) {
    case 'network-retry': return t('daemon.networkRetry', { reason: w.reason })
    case 'dht-join-failed': return t('daemon.dhtJoinFailed', { reason: w.reason })
    case 'republish-failed': return t('daemon.republishFailed', { reason: w.reason })
    case 'pin-error': return w.reason
    case 'autofetch-failed': return t('people.autofetchFailed', { reason: w.reason })
  }
}

export function networkOptions (g: GlobalOptions): NetworkLimits {
  return {
    ...(g.maxUpload != null ? { maxUploadBytesPerSecond: parseSize(g.maxUpload) } : {}),
    ...(g.maxDownload != null ? { maxDownloadBytesPerSecond: parseSize(g.maxDownload) } : {}),
    ...(g.maxUploadPerPeer != null ? { maxUploadPerPeerBytesPerSecond: parseSize(g.maxUploadPerPeer) } : {}),
    ...(g.maxDownloadPerPeer != null ? { maxDownloadPerPeerBytesPerSecond: parseSize(g.maxDownloadPerPeer) } : {})
  }
}

export interface Output {
  json: boolean
  quiet: boolean
  /** Human text on stdout, unless --json or --quiet. */
  info: (line: string) => void
  /** Warnings on stderr (kept under --json so scripts still see them; dropped by --quiet). */
  warn: (line: string) => void
  /** The command's result: one JSON object under --json, else the given text. */
  result: (value: object, text: string) => void
  /** How long work shows progress (--progress; see progress.ts). */
  progressMode: ProgressMode
}

export function makeOutput (g: GlobalOptions): Output {
  const json = g.json === true
  const quiet = g.quiet === true
  const mode = (g.progress ?? 'auto') as ProgressMode
  if (!PROGRESS_MODES.includes(mode)) throw new Error(t('cli.badProgressMode', { mode, known: PROGRESS_MODES.join(', ') }))
  return {
    json,
    quiet,
    info: line => { if (!json && !quiet) process.stdout.write(line + '\n') },
    warn: line => { if (!quiet) process.stderr.write(`${t('cli.warningPrefix')}${line}\n`) },
    result: (value, text) => {
      if (json) process.stdout.write(JSON.stringify(value) + '\n')
      else if (text !== '') process.stdout.write(text + '\n')
    },
    progressMode: mode
  }
}

export const apiSocket = (dataDir: string): string => join(dataDir, 'api.sock')

/** Whether the options name a way into the DHT (--bootstrap or --network). */
export const joinsDht = (g: GlobalOptions): boolean => (g.bootstrap?.length ?? 0) > 0 || g.network != null

/**
 * The running node these options describe, for the daemon and every embedded command alike:
 * with `network`, the chosen transport and rate limits, and the DHT as this node sees it (the
 * --bootstrap peers, the routing table saved in the data directory, and with --network the
 * network's shared address). Its warnings go to stderr.
 */
export function runtimeOptions (g: GlobalOptions, out: Output, options: { network: boolean, dht?: boolean, daemon?: boolean }): NodeRuntimeOptions {
  const networkKey = g.network != null ? loaded().parseNetworkKey(g.network) : undefined
  const base: NodeRuntimeOptions = {
    dataDir: nodeDirOf(g, options.daemon === true),
    ...(g.memory === true ? { memory: true } : {}),
    passphrase: process.env.OHT_PASSPHRASE ?? '',
    daemon: options.daemon === true,
    onWarning: w => { out.warn(warningText(w)) }
  }
  if (!options.network) return base
  return {
    ...base,
    transport: keys => makeTransport(g, out, keys.storageKey),
    limits: networkOptions(g),
    ...(options.dht !== false ? { dht: { bootstrap: g.bootstrap ?? [], ...(networkKey != null ? { networkAddress: networkKey.address } : {}) } } : {}),
    serveBootstrap: options.daemon === true && networkKey != null
  }
}

export async function openNode (g: GlobalOptions): Promise<OhtNode> {
  const dir = nodeDirOf(g, false)
  if (g.memory !== true) await ensurePassphrase(dir)
  const { OhtNode } = await import('../src/node/transfers/node.ts')
  return await OhtNode.open({ dataDir: dir, passphrase: process.env.OHT_PASSPHRASE ?? '', ...(g.memory === true ? { memory: true } : {}) })
}

/** The transport the user chose: Tor by default; TCP says that it is not anonymous. */
/** `storageKey`: the node's, which seals the onion key file at rest (none: a clear key file). */
export function makeTransport (g: GlobalOptions, out: Output, storageKey?: Uint8Array): Transport {
  const kind = g.transport ?? 'tor'
  if (kind === 'tcp') {
    const transport = new (loaded().TcpTransport)(g.listen != null ? { listen: g.listen } : {})
    if (transport.warning != null) out.warn(transport.warning)
    return transport
  }
  if (kind === 'tor') return loaded().makeTorTransport(g, out, [], storageKey)
  throw new Error(t('cli.unknownTransport', { kind: JSON.stringify(kind) }))
}

/** The daemon of this data directory, when one runs. */
export async function daemonFor (g: GlobalOptions): Promise<DaemonClient | undefined> {
  const socket = apiSocket(dataDirOf(g))
  const { daemonRunning, DaemonClient } = await import('../src/node/api/client.ts')
  return await daemonRunning(socket) ? new DaemonClient(socket) : undefined
}

/** Runs `fn` with a node of this data directory running in this process; closes it after. */
export async function withRuntime<T> (g: GlobalOptions, out: Output, options: { network: boolean, dht?: boolean }, fn: (runtime: NodeRuntime) => Promise<T>): Promise<T> {
  await ensurePassphrase(resolveDataDir(g.dataDir))
  await loadRuntimeModules()
  const { NodeRuntime } = await import('../src/node/runtime.ts')
  const runtime = await NodeRuntime.open(runtimeOptions(g, out, options))
  try {
    return await fn(runtime)
  } finally {
    await runtime.close()
  }
}

/**
 * Runs `fn` against the node of this data directory: through its daemon when one runs (the
 * daemon holds the database), else in this process. `network` asks for a transport in the
 * embedded case (fetching from peers). An embedded node never listens: it uses the DHT as a
 * client (bootstrap list and the table a daemon of this data directory saved), and joins only
 * when a command needs it.
 */
export async function withService<T> (g: GlobalOptions, out: Output, fn: (service: NodeService) => Promise<T>, network = false): Promise<T> {
  const daemon = await daemonFor(g)
  if (daemon != null) return await fn(daemon)
  return await withRuntime(g, out, { network }, async runtime => await fn(runtime.service))
}
