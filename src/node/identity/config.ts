// The node's configuration file: a small JSON object of validated keys. Where it lives:
//   1. $OHT_CONFIG (a file path), else
//   2. <data dir>/config.json when the data directory is chosen explicitly (--data-dir or
//      $OHT_HOME): several nodes on one machine (tests, the demo) each keep their own, else
//   3. the platform config path (env-paths: ~/.config/oht/config.json on Linux).
// Command-line flags win over the file. Values are stored as validated, normalized JSON.
import { platformPaths } from './datadir.ts'
import { createRequire } from 'node:module'
import { dirname, extname, join, resolve } from 'node:path'
import type * as AddressModule from '../../onion/address.ts'

// Not an ES import of node:fs: its facade costs every CLI start ~15 ms (docs/DECISIONS.md, "CLI start-up").
const { mkdirSync, readFileSync, renameSync, writeFileSync } = process.getBuiltinModule('node:fs')

// The address parser (multiformats' base32, node:net) is loaded, synchronously, when a bootstrap
// value is checked: every CLI command reads the config, few configs name peers (bench/cli.ts).
// Its file is .ts beside the sources and .js in the build, like this one.
const requireHere = createRequire(import.meta.url)
function parseAddress (text: string): void {
  (requireHere(`../../onion/address${extname(import.meta.filename)}`) as typeof AddressModule).parseAddress(text)
}

export type ConfigValue = string | string[]

export interface ConfigKeyDef {
  /** Example value, for help and error messages. */
  example: string
  /** Who reads the key (a key nobody reads yet says so). */
  usedBy: string
  /** Checks and normalizes a value typed by a person; throws ConfigError('badValue') otherwise. */
  parse: (text: string) => ConfigValue
}

export type ConfigErrorCode = 'unknownKey' | 'badValue' | 'badFile'

/** A config error with a code and params, so the CLI can say it in the user's language. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode
  readonly params: Record<string, string>
  constructor (code: ConfigErrorCode, params: Record<string, string>, message: string) {
    super(message)
    this.code = code
    this.params = params
  }
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb|t|tb|kib|mib|gib|tib)?\s*$/i
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)\s*$/
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/

/** What a key expects, in English; `expected` (a code) lets the CLI say it in other languages. */
const EXPECTED: Record<string, string> = {
  hostPort: 'host:port, e.g. 127.0.0.1:4001',
  loopback: 'a loopback address (127.0.0.1:<port>, localhost:<port> or [::1]:<port>)',
  transport: 'tor or tcp',
  size: 'a size per second, e.g. 512KiB, 2MiB',
  addresses: 'a comma-separated list of node addresses, e.g. tcp:127.0.0.1:4001,onion:<56 chars>.onion:4001',
  duration: 'a duration, e.g. 12h, 30d, never',
  lang: 'en or de',
  ratio: 'a number ≥ 0, e.g. 2 or 1.5'
}

function bad (key: string, value: string, expected: keyof typeof EXPECTED): never {
  throw new ConfigError('badValue', { key, value, expected }, `bad value ${JSON.stringify(value)} for ${key}: expected ${EXPECTED[expected]!}`)
}

function hostPort (key: string, text: string, loopbackOnly = false): string {
  const v = text.trim()
  const m = HOST_PORT.exec(v)
  if (m == null || Number(m[2]) > 65535) bad(key, text, 'hostPort')
  if (loopbackOnly && !['127.0.0.1', 'localhost', '[::1]'].includes(m[1]!)) bad(key, text, 'loopback')
  return v
}

export const CONFIG_KEYS: Readonly<Record<string, ConfigKeyDef>> = {
  transport: {
    example: 'tcp',
    usedBy: 'daemon and fetch (--transport)',
    parse: t => { const v = t.trim(); if (v !== 'tor' && v !== 'tcp') bad('transport', t, 'transport'); return v }
  },
  listen: {
    example: '127.0.0.1:4001',
    usedBy: 'daemon (--listen)',
    parse: t => hostPort('listen', t)
  },
  maxUpload: {
    example: '2MiB',
    usedBy: 'daemon and fetch (--max-upload)',
    parse: t => { if (!SIZE.test(t)) bad('maxUpload', t, 'size'); return t.trim() }
  },
  maxDownload: {
    example: '4MiB',
    usedBy: 'daemon and fetch (--max-download)',
    parse: t => { if (!SIZE.test(t)) bad('maxDownload', t, 'size'); return t.trim() }
  },
  maxUploadPerPeer: {
    example: '512KiB',
    usedBy: 'daemon and fetch (--max-upload-per-peer)',
    parse: t => { if (!SIZE.test(t)) bad('maxUploadPerPeer', t, 'size'); return t.trim() }
  },
  maxDownloadPerPeer: {
    example: '1MiB',
    usedBy: 'daemon and fetch (--max-download-per-peer)',
    parse: t => { if (!SIZE.test(t)) bad('maxDownloadPerPeer', t, 'size'); return t.trim() }
  },
  bootstrap: {
    example: 'tcp:127.0.0.1:4001,tcp:127.0.0.1:4002',
    usedBy: 'the DHT: daemon, and fetch/stream/pin/dht without a daemon (--bootstrap)',
    parse: t => {
      const list = t.split(',').map(s => s.trim()).filter(s => s !== '')
      if (list.length === 0) bad('bootstrap', t, 'addresses')
      // Each must parse as a peer address (tcp:<ip>:<port>, onion:<name>.onion:<port>), as
      // --bootstrap requires: a typo would otherwise only show as a DHT nobody answers.
      for (const address of list) {
        try { parseAddress(address) } catch { bad('bootstrap', t, 'addresses') }
      }
      return list
    }
  },
  'pin.defaultTtl': {
    example: '30d',
    usedBy: 'oht pin without --ttl',
    parse: t => { if (t.trim() !== 'never' && !DURATION.test(t)) bad('pin.defaultTtl', t, 'duration'); return t.trim() }
  },
  'api.tcp': {
    example: '127.0.0.1:7701',
    usedBy: 'daemon: also serve the API on this loopback address, with the token in <data dir>/api.token',
    parse: t => hostPort('api.tcp', t, true)
  },
  lang: {
    example: 'de',
    usedBy: 'every command (--lang, LANG)',
    parse: t => { const v = t.trim().toLowerCase(); if (v !== 'en' && v !== 'de') bad('lang', t, 'lang'); return v }
  },
  seedRatio: {
    example: '2',
    usedBy: 'daemon: stop seeding a fetched share at this upload ratio (fetch --seed-ratio)',
    parse: t => { const v = t.trim(); if (!/^\d+(\.\d+)?$/.test(v)) bad('seedRatio', t, 'ratio'); return v }
  },
  seedTime: {
    example: '7d',
    usedBy: 'daemon: stop seeding a fetched share after this long (fetch --seed-time)',
    parse: t => { if (t.trim() !== 'never' && !DURATION.test(t)) bad('seedTime', t, 'duration'); return t.trim() }
  }
}

/** Keys a running daemon applies at once (PUT /v0/config); the others need a restart. */
export const LIVE_CONFIG_KEYS: readonly string[] = ['maxUpload', 'maxDownload', 'maxUploadPerPeer', 'maxDownloadPerPeer', 'seedRatio', 'seedTime']

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 }
const SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600, d: 86400, w: 604800 }

/** Bytes of a validated size value (maxUpload…). */
export function sizeValue (text: string): number {
  const m = SIZE.exec(text)
  if (m == null) throw new ConfigError('badValue', { key: 'size', value: text, expected: 'size' }, `not a size: ${text}`)
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? '').toLowerCase()]!)
}

/** Seconds of a validated duration value; undefined for `never`. */
export function durationSeconds (text: string): number | undefined {
  if (text.trim() === 'never') return undefined
  const m = DURATION.exec(text)
  if (m == null) throw new ConfigError('badValue', { key: 'duration', value: text, expected: 'duration' }, `not a duration: ${text}`)
  return Number(m[1]) * SECONDS[m[2]!]!
}

/** The seed limits the config sets for fetches that set none. */
export function seedDefaultsOf (values: ConfigValues): { seedRatio?: number, seedTime?: number } {
  const ratio = values.seedRatio
  const time = typeof values.seedTime === 'string' ? durationSeconds(values.seedTime) : undefined
  return { ...(typeof ratio === 'string' ? { seedRatio: Number(ratio) } : {}), ...(time != null ? { seedTime: time } : {}) }
}

export type ConfigValues = Record<string, ConfigValue>

/** Where the config file is (see the comment at the top). */
export function configPath (options: { dataDir?: string, env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env
  if (env.OHT_CONFIG != null && env.OHT_CONFIG !== '') return resolve(env.OHT_CONFIG)
  if (options.dataDir != null && options.dataDir !== '') return join(resolve(options.dataDir), 'config.json')
  if (env.OHT_HOME != null && env.OHT_HOME !== '') return join(resolve(env.OHT_HOME), 'config.json')
  return join(platformPaths(env).config, 'config.json')
}

function knownKey (key: string): ConfigKeyDef {
  const def = Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined
  if (def == null) throw new ConfigError('unknownKey', { key, known: Object.keys(CONFIG_KEYS).join(', ') }, `unknown config key ${JSON.stringify(key)} (known: ${Object.keys(CONFIG_KEYS).join(', ')})`)
  return def
}

/** The config file: read whole, validated on read and write, written atomically (mode 0600). */
export class ConfigFile {
  readonly path: string
  constructor (path: string) { this.path = path }

  /** Every set key; a missing file is an empty config; a malformed file or value is an error. */
  load (): ConfigValues {
    let text: string
    try {
      text = readFileSync(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw new ConfigError('badFile', { path: this.path, reason: (err as Error).message }, `cannot read ${this.path}: ${(err as Error).message}`)
    }
    let raw: unknown
    try { raw = JSON.parse(text) } catch (err) {
      throw new ConfigError('badFile', { path: this.path, reason: (err as Error).message }, `${this.path} is not JSON: ${(err as Error).message}`)
    }
    if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('badFile', { path: this.path, reason: 'not an object' }, `${this.path} must hold a JSON object`)
    const out: ConfigValues = {}
    for (const [key, value] of Object.entries(raw)) {
      const def = knownKey(key)
      const text = Array.isArray(value) ? value.join(',') : String(value)
      out[key] = def.parse(text)
    }
    return out
  }

  get (key: string): ConfigValue | undefined {
    knownKey(key)
    return this.load()[key]
  }

  /** Validates and stores `text` under `key`; returns the stored (normalized) value. */
  set (key: string, text: string): ConfigValue {
    const value = knownKey(key).parse(text)
    const values = this.load()
    values[key] = value
    this.#write(values)
    return value
  }

  unset (key: string): void {
    knownKey(key)
    const values = this.load()
    if (!(key in values)) return
    delete values[key]
    this.#write(values)
  }

  #write (values: ConfigValues): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 })
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(values, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.path)
  }
}
