import { join } from 'node:path'
import type { Command } from 'commander'
import { resolveDataDir } from '../src/node/datadir.ts'
import { OhtNode } from '../src/node/node.ts'
import { NodeNetwork, type NetworkLimits } from '../src/node/network.ts'
import { LocalService, type NodeService } from '../src/node/service.ts'
import { DaemonClient, daemonRunning } from '../src/node/api-client.ts'
import { ConfigError, ConfigFile, configPath, type ConfigValues } from '../src/node/config.ts'
import { TcpTransport, type Transport } from '../src/onion/index.ts'
import { parseSize } from './units.ts'
import { PROGRESS_MODES, type ProgressMode } from './progress.ts'
import { setLocale, t } from './i18n/index.ts'
import { makeTorTransport } from './tor.ts'
import { Discovery, LevelRoutingStore } from '../src/node/discovery.ts'
import { parseNetworkKey } from '../src/onion/network-key.ts'

/** Options every command accepts, before or after the command name. */
export interface GlobalOptions {
  dataDir?: string
  json?: boolean
  quiet?: boolean
  transport?: string
  listen?: string
  maxUpload?: string
  maxDownload?: string
  maxUploadPerPeer?: string
  maxDownloadPerPeer?: string
  lang?: string
  progress?: string
  /** From the config (api.tcp) or `oht daemon --api-tcp`. */
  apiTcp?: string
  /** A running tor's control port (attach instead of starting our own). */
  torControl?: string
  torCookie?: string
  /** DHT addresses to join through (repeatable; config key `bootstrap`). */
  bootstrap?: string[]
  /** A network key (oht-net:…): ask its shared onion address for peers. */
  network?: string
}

/** The config file of these options' data directory ($OHT_CONFIG overrides; see src/node/config.ts). */
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
    throw err instanceof ConfigError ? new Error(configErrorText(err)) : err
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
export function configErrorText (err: ConfigError): string {
  const params = { ...err.params }
  if (params.expected != null) params.expected = t(`config.expected.${params.expected}`)
  return t(`config.error.${err.code}`, params)
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

/** How long a newcomer keeps asking a network's shared address (a host may have just left). */
export const NETWORK_GIVE_UP_MS = 10 * 60_000

/**
 * The DHT as this node sees it: the --bootstrap peers, the routing table saved in the data
 * directory, and with --network the network's shared address. The daemon and every embedded
 * command build it the same way.
 */
export function discoveryFor (g: GlobalOptions, node: OhtNode, network: NodeNetwork, onNetworkRetry?: (reason: string) => void): Discovery {
  const networkKey = g.network != null ? parseNetworkKey(g.network) : undefined
  return new Discovery(network, {
    bootstrap: g.bootstrap ?? [],
    routingStore: new LevelRoutingStore(node.state.db),
    ...(networkKey != null ? { network: { address: networkKey.address, giveUpMs: NETWORK_GIVE_UP_MS, ...(onNetworkRetry != null ? { onRetry: onNetworkRetry } : {}) } } : {})
  })
}

export async function openNode (g: GlobalOptions): Promise<OhtNode> {
  return await OhtNode.open({ dataDir: resolveDataDir(g.dataDir), passphrase: process.env.OHT_PASSPHRASE ?? '' })
}

/** The transport the user chose: Tor by default; TCP says that it is not anonymous. */
export function makeTransport (g: GlobalOptions, out: Output): Transport {
  const kind = g.transport ?? 'tor'
  if (kind === 'tcp') {
    const transport = new TcpTransport(g.listen != null ? { listen: g.listen } : {})
    if (transport.warning != null) out.warn(transport.warning)
    return transport
  }
  if (kind === 'tor') return makeTorTransport(g, out)
  throw new Error(t('cli.unknownTransport', { kind: JSON.stringify(kind) }))
}

/** The daemon of this data directory, when one runs. */
export async function daemonFor (g: GlobalOptions): Promise<DaemonClient | undefined> {
  const socket = apiSocket(resolveDataDir(g.dataDir))
  return await daemonRunning(socket) ? new DaemonClient(socket) : undefined
}

/**
 * Runs `fn` against the node of this data directory: through its daemon when one runs (the
 * daemon holds the database), else in this process. `network` asks for a transport in the
 * embedded case (fetching from peers).
 */
export async function withService<T> (g: GlobalOptions, out: Output, fn: (service: NodeService) => Promise<T>, network = false): Promise<T> {
  const daemon = await daemonFor(g)
  if (daemon != null) return await fn(daemon)
  const node = await openNode(g)
  let service: LocalService
  try {
    const net = network ? new NodeNetwork(makeTransport(g, out), node.keys, networkOptions(g)) : undefined
    service = new LocalService(node, net)
    // An embedded node never listens: it uses the DHT as a client (bootstrap list and the table a
    // daemon of this data directory saved), and joins only when a command needs it.
    if (net != null) service.attachDiscovery(discoveryFor(g, node, net))
  } catch (err) {
    await node.close()
    throw err
  }
  try {
    return await fn(service)
  } finally {
    await service.close()
  }
}
