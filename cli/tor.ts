// The Tor transport as the CLI builds it: its own tor under the data directory, or a running tor
// reached over its control port. Bootstrap progress goes to stderr so a user waiting on a first
// start (tens of seconds) sees why.
import { join } from 'node:path'
import { resolveDataDir } from '../src/node/identity/datadir.ts'
import { privateTempDir } from './memory.ts'
import { AddressError, TorTransport, type TorSource } from '../src/onion/index.ts'
import { fileSealer } from '../src/store/seal.ts'
import { t } from './i18n/index.ts'

export interface TorCliOptions {
  dataDir?: string
  /** --memory: no key file, tor's folder private and temporary. */
  memory?: boolean
  /** host:port of a running tor's ControlPort. */
  torControl?: string
  /** That tor's control auth cookie; else SAFECOOKIE/COOKIE from PROTOCOLINFO, or $OHT_TOR_PASSWORD. */
  torCookie?: string
  listen?: string
}

export interface TorCliOutput {
  quiet: boolean
  json: boolean
  warn: (line: string) => void
}

export function makeTorTransport (g: TorCliOptions, out: TorCliOutput, extraTorConfig: string[] = [], storageKey?: Uint8Array): TorTransport {
  const memory = g.memory === true
  const dataDir = memory ? '' : resolveDataDir(g.dataDir)
  if (g.listen != null) out.warn(t('tor.listenIgnored'))
  let tor: TorSource
  if (g.torControl != null) {
    const { host, port } = parseControlAddress(g.torControl)
    const password = process.env.OHT_TOR_PASSWORD
    tor = {
      kind: 'attach',
      host,
      port,
      ...(g.torCookie != null ? { cookieFile: g.torCookie } : {}),
      ...(password != null && password !== '' ? { password } : {})
    }
  } else {
    // --memory: tor's own state (consensus, guards) in a private folder removed on exit.
    tor = { kind: 'own', dataDir: memory ? privateTempDir('oht-tor-') : join(dataDir, 'tor'), ...(extraTorConfig.length > 0 ? { config: extraTorConfig } : {}) }
  }
  let shown = -1
  return new TorTransport({
    tor,
    // --memory: no key file, and tor discards the key: the address is new on every start.
    // The key file sealed under the node's storage key: it names no onion address at rest.
    ...(memory ? { discardKey: true } : { keyFile: join(dataDir, 'onion.key'), ...(storageKey != null ? { keySealer: fileSealer(storageKey, 'onion.key') } : {}) }),
    onEvent: event => {
      if (out.quiet || out.json) return
      if (event.type === 'bootstrap' && event.progress !== shown) {
        shown = event.progress
        process.stderr.write(t('tor.bootstrap', { progress: event.progress, summary: event.summary }) + '\n')
      } else if (event.type === 'published') {
        process.stderr.write(t('tor.published', { address: event.address }) + '\n')
      } else if (event.type === 'tor-lost') {
        out.warn(t('tor.lost', { reason: event.reason }))
      }
    }
  })
}

/** `127.0.0.1:9051` or `[::1]:9051`; names are refused (no DNS lookup, even for the control port). */
export function parseControlAddress (text: string): { host: string, port: number } {
  const m = /^(?:\[([0-9a-fA-F:]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text)
  const port = m != null ? Number(m[3]) : NaN
  if (m == null || !(port >= 1 && port <= 65535)) throw new AddressError(text, t('tor.badControl', { address: text }))
  return { host: (m[1] ?? m[2])!, port }
}
