// The web UI's two locales. The language is the `oht_lang` cookie (set by the switch in the
// page header), else the browser's Accept-Language, else English.
import type { IncomingMessage } from 'node:http'
import { de } from './de.ts'
import { en, type MessageKey } from './en.ts'
import { cookieOf } from '../guard.ts'

export type { MessageKey } from './en.ts'
export type Locale = 'en' | 'de'
export const LOCALES: readonly Locale[] = ['en', 'de']
export const LANG_COOKIE = 'oht_lang'

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string

export function translator (locale: Locale): Translate {
  const catalog: Record<MessageKey, string> = locale === 'de' ? de : en
  // A key the catalog lacks (a state added to the node later) shows as itself, never a crash.
  return (key, params = {}) => (catalog[key] ?? en[key] ?? String(key)).replace(/\{(\w+)\}/g, (m, name: string) => name in params ? String(params[name]) : m)
}

export function localeOf (req: IncomingMessage): Locale {
  const chosen = cookieOf(req, LANG_COOKIE)
  if (chosen === 'en' || chosen === 'de') return chosen
  const accept = (req.headers['accept-language'] ?? '').toLowerCase()
  return /^\s*de\b/.test(accept) ? 'de' : 'en'
}
