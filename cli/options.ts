// The options every command accepts (before or after the command name): declared here, checked
// here for every command (a bad --max-upload is an error even for a command that does not use
// it: a typo should never pass silently), before the command's own module is even loaded.
import { Option, type Command } from 'commander'
import { parseSize } from './units.ts'
import { PROGRESS_MODES, type ProgressMode } from './progress.ts'
import { t } from './i18n/index.ts'
import { UsageError } from './exit.ts'

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
  /** No data directory: keys, state, blocks in memory (cli/memory.ts). */
  memory?: boolean
}

export const TRANSPORTS = ['tor', 'tcp'] as const

export function addGlobalOptions (program: Command): void {
  program
    .addOption(new Option('--data-dir <dir>', t('cli.optDataDir')))
    .addOption(new Option('--memory', t('privacy.optMemory')))
    .addOption(new Option('--transport <kind>', t('cli.optTransport')))
    .addOption(new Option('--listen <addr>', t('cli.optListen')))
    .addOption(new Option('--max-upload <rate>', t('cli.optMaxUpload')))
    .addOption(new Option('--max-download <rate>', t('cli.optMaxDownload')))
    .addOption(new Option('--max-upload-per-peer <rate>', t('cli.optMaxUploadPerPeer')))
    .addOption(new Option('--max-download-per-peer <rate>', t('cli.optMaxDownloadPerPeer')))
    .addOption(new Option('--network <key>', t('cli.optNetwork')))
    .addOption(new Option('--bootstrap <address>', t('cli.optBootstrap')).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .addOption(new Option('--api-tcp <address>', t('cli.daemon.optApiTcp')))
    .addOption(new Option('--tor-control <address>', t('cli.optTorControl')))
    .addOption(new Option('--tor-cookie <file>', t('cli.optTorCookie')))
    .addOption(new Option('--lang <lang>', t('cli.optLang')))
    .addOption(new Option('--progress <mode>', t('cli.optProgress')))
    .option('--json', t('cli.optJson'))
    .option('-q, --quiet', t('cli.optQuiet'))
}

const RATE_OPTIONS = [['maxUpload', '--max-upload'], ['maxDownload', '--max-download'], ['maxUploadPerPeer', '--max-upload-per-peer'], ['maxDownloadPerPeer', '--max-download-per-peer']] as const

/** A message for a bad option value, in the user's language. */
export function badOption (option: string, value: string, reason: string): UsageError {
  return new UsageError('usage.badOption', t('cli.badOption', { option, value: JSON.stringify(value), reason }))
}

/**
 * Checks the global options (after the config filled them in) for every command; throws one
 * clear error for the first bad value. Addresses and network keys are parsed by the modules that
 * use them, loaded only when such an option is given.
 */
export async function validateGlobals (g: GlobalOptions): Promise<void> {
  if (g.transport != null && !(TRANSPORTS as readonly string[]).includes(g.transport)) {
    throw badOption('--transport', g.transport, t('cli.expectedTransport'))
  }
  for (const [key, flag] of RATE_OPTIONS) {
    const value = g[key]
    if (value == null) continue
    let bytes: number
    try { bytes = parseSize(value) } catch { throw badOption(flag, value, t('cli.expectedRate')) }
    if (bytes <= 0) throw badOption(flag, value, t('cli.expectedRate'))
  }
  if (g.progress != null && !PROGRESS_MODES.includes(g.progress as ProgressMode)) {
    throw new UsageError('usage.badOption', t('cli.badProgressMode', { mode: g.progress, known: PROGRESS_MODES.join(', ') }))
  }
  const addresses: Array<[string, string]> = (g.bootstrap ?? []).map(a => ['--bootstrap', a])
  if (g.listen != null) addresses.push(['--listen', g.listen])
  if (addresses.length > 0) {
    const { parseAddress } = await import('../src/onion/address.ts')
    for (const [flag, address] of addresses) {
      try { parseAddress(address) } catch (err) { throw badOption(flag, address, (err as Error).message) }
    }
  }
  if (g.network != null) {
    const { parseNetworkKey } = await import('../src/onion/network-key.ts')
    try { parseNetworkKey(g.network) } catch (err) { throw badOption('--network', g.network, (err as Error).message) }
  }
}
