// The CLI's and the dashboard's message catalog: every user-facing string goes through t().
//
// HOW TO ADD AN AREA (e.g. for a new command): create cli/i18n/en/<area>.ts and
// cli/i18n/de/<area>.ts, each with `export default { '<area>.someKey': 'text with {param}' }`
// (a value may also be a function of the params, for plurals). Both locales must have the same
// keys: test/unit/i18n.test.ts fails otherwise. Nothing here needs editing: every file in
// en/ and de/ is loaded at start-up and merged. Keys are prefixed with the area name so areas
// never collide (a duplicate key across files is an error at load).
import { extname, join } from 'node:path'
import { createRequire } from 'node:module'

// Not an ES import of node:fs: its facade costs every start ~15 ms (bin/build-stamp.js).
const { existsSync, readdirSync } = process.getBuiltinModule('node:fs')

export type Params = Record<string, string | number>
export type Message = string | ((p: Params) => string)
export type Catalog = Record<string, Message>

export const LOCALES = ['en', 'de'] as const
export type Locale = typeof LOCALES[number]
export const DEFAULT_LOCALE: Locale = 'en'

// The catalogs are modules beside this one: .ts when run from source, .js when compiled to dist/.
const MODULE_EXTENSION = extname(import.meta.filename)

/**
 * Loads and merges every area file of one locale directory, synchronously (require() of ES
 * modules): a locale is loaded when first used, so a command in English never reads German.
 * The build puts a locale's areas in one module (`<locale>.bundle.js`, scripts/build.js), one
 * file to load instead of one per area; from source each area file is loaded.
 */
function loadLocale (locale: Locale): Catalog {
  const merged: Catalog = {}
  for (const [file, area] of areasOf(locale)) {
    for (const [key, message] of Object.entries(area)) {
      if (key in merged) throw new Error(`i18n: key ${key} is defined twice in locale ${locale} (${file})`)
      merged[key] = message
    }
  }
  return merged
}

/** A locale's area files in name order, with their catalogs. */
function areasOf (locale: Locale): Array<[string, Catalog]> {
  const bundle = join(import.meta.dirname, `${locale}.bundle.js`)
  if (MODULE_EXTENSION === '.js' && existsSync(bundle)) return (load(bundle) as { default: Array<[string, Catalog]> }).default
  const dir = join(import.meta.dirname, locale)
  const files = readdirSync(dir).filter(f => f.endsWith(MODULE_EXTENSION) && !f.endsWith('.d.ts')).sort()
  return files.map(file => [file, (load(join(dir, file)) as { default: Catalog }).default])
}

const load = createRequire(import.meta.url)
const loaded = new Map<Locale, Catalog>()

/** Every locale's catalog, each loaded on first access. */
export const catalogs = Object.defineProperties({}, Object.fromEntries(LOCALES.map(l => [l, {
  enumerable: true,
  get: () => { let c = loaded.get(l); if (c == null) { c = loadLocale(l); loaded.set(l, c) } return c }
}]))) as Record<Locale, Catalog>

let current: Locale = detectLocale(process.env)

/** The locale a language tag names (de_DE.UTF-8, de-AT, en, C, ...), or undefined when unsupported. */
export function localeOf (tag: string | undefined): Locale | undefined {
  if (tag == null || tag === '') return undefined
  const base = tag.toLowerCase().split(/[_.@-]/)[0]
  return (LOCALES as readonly string[]).includes(base ?? '') ? base as Locale : undefined
}

/** From the environment as POSIX orders it: LC_ALL, then LC_MESSAGES, then LANG; English otherwise. */
export function detectLocale (env: NodeJS.ProcessEnv): Locale {
  for (const name of ['OHT_LANG', 'LC_ALL', 'LC_MESSAGES', 'LANG']) {
    const value = env[name]
    if (value != null && value !== '') return localeOf(value) ?? DEFAULT_LOCALE
  }
  return DEFAULT_LOCALE
}

/** Chooses the locale (from --lang or the config); an unsupported tag is an error worth reporting. */
export function setLocale (tag: string): Locale {
  const locale = localeOf(tag)
  if (locale == null) throw new Error(t('i18n.unknownLocale', { lang: tag, known: LOCALES.join(', ') }))
  current = locale
  return locale
}

export function getLocale (): Locale { return current }

/**
 * The message `key` in the current locale with `{name}` placeholders filled in. A key missing
 * from the locale falls back to English, then to the key itself (visible, never a crash).
 */
export function t (key: string, params: Params = {}): string {
  const message = catalogs[current][key] ?? catalogs[DEFAULT_LOCALE][key]
  if (message == null) return key
  if (typeof message === 'function') return message(params)
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => name in params ? String(params[name]) : whole)
}
