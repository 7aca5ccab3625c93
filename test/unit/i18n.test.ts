// The message catalogs: every locale has every key (with the same placeholders), every key the
// CLI asks for exists, and the language is chosen as documented.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { catalogs, detectLocale, getLocale, LOCALES, localeOf, setLocale, t, type Catalog } from '../../cli/i18n/index.ts'

const CLI = fileURLToPath(new URL('../../cli/', import.meta.url))
const placeholders = (m: string): string[] => [...m.matchAll(/\{(\w+)\}/g)].map(x => x[1]!).sort()

function sampleParams (): Record<string, string | number> {
  return new Proxy({}, { get: (_t, name) => typeof name === 'string' ? 2 : undefined, has: () => true }) as Record<string, string | number>
}

test('every locale has exactly the keys of English, with the same placeholders', () => {
  const en = catalogs.en
  assert.ok(Object.keys(en).length > 100, `the English catalog has ${Object.keys(en).length} keys`)
  for (const locale of LOCALES) {
    const cat: Catalog = catalogs[locale]
    const missing = Object.keys(en).filter(k => !(k in cat))
    const extra = Object.keys(cat).filter(k => !(k in en))
    assert.deepEqual(missing, [], `keys missing from ${locale}`)
    assert.deepEqual(extra, [], `keys in ${locale} that English lacks`)
    for (const [key, message] of Object.entries(cat)) {
      const reference = en[key]!
      assert.equal(typeof message, typeof reference, `${locale} ${key}: string vs function`)
      if (typeof message === 'string') {
        assert.ok(message.trim() !== '', `${locale} ${key} is empty`)
        assert.deepEqual(placeholders(message), placeholders(reference as string), `${locale} ${key}: placeholders differ`)
      } else {
        const text = message(sampleParams())
        assert.ok(typeof text === 'string' && text !== '' && !text.includes('undefined'), `${locale} ${key}(params) = ${text}`)
      }
    }
  }
})

test('every literal key the CLI and the dashboard ask for exists', () => {
  const files: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) { if (name !== 'i18n') walk(path) } else if (name.endsWith('.ts')) files.push(path)
    }
  }
  walk(CLI)
  const unknown: string[] = []
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bt\(\s*'([\w.]+)'/g)) if (!(m[1]! in catalogs.en)) unknown.push(`${file.slice(CLI.length)}: ${m[1]!}`)
  }
  assert.deepEqual(unknown, [])
})

test('the language: --lang/config via setLocale, else OHT_LANG, LC_ALL, LC_MESSAGES, LANG; English otherwise', () => {
  assert.equal(localeOf('de_DE.UTF-8'), 'de')
  assert.equal(localeOf('de-AT'), 'de')
  assert.equal(localeOf('en_GB.UTF-8'), 'en')
  assert.equal(localeOf('C'), undefined)
  assert.equal(localeOf('fr_FR'), undefined)
  assert.equal(detectLocale({ LANG: 'de_DE.UTF-8' }), 'de')
  assert.equal(detectLocale({ LANG: 'de_DE.UTF-8', LC_ALL: 'C' }), 'en', 'LC_ALL wins over LANG (C is English)')
  assert.equal(detectLocale({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'de_CH' }), 'de')
  assert.equal(detectLocale({ LANG: 'fr_FR.UTF-8' }), 'en', 'unsupported: English')
  assert.equal(detectLocale({}), 'en')
  assert.equal(detectLocale({ OHT_LANG: 'de', LC_ALL: 'en_US' }), 'de')

  const before = getLocale()
  try {
    setLocale('de')
    assert.equal(t('cli.status.noDaemon'), 'kein Daemon läuft')
    assert.equal(t('daemon.seeding', { count: 1 }), 'verteilt 1 Freigabe')
    assert.equal(t('daemon.seeding', { count: 3 }), 'verteilt 3 Freigaben')
    setLocale('en')
    assert.equal(t('daemon.seeding', { count: 1 }), 'seeding 1 share')
    assert.equal(t('cli.fetch.resuming', { resumed: 3, blocks: 10 }), 'resuming: 3 of 10 blocks already here')
    assert.equal(t('cli.fetch.resuming', { resumed: 3 }), 'resuming: 3 of {blocks} blocks already here', 'a missing param stays visible')
    assert.equal(t('no.such.key'), 'no.such.key', 'an unknown key shows itself, never crashes')
    assert.throws(() => setLocale('klingon'), /unknown language klingon \(known: en, de\)/)
  } finally {
    setLocale(before)
  }
})

test('every error code of the node has a message in every locale, which uses its parameters', () => {
  const source = readFileSync(fileURLToPath(new URL('../../src/node/errors.ts', import.meta.url)), 'utf8')
  const union = /export type NodeErrorCode =([\s\S]*?)\n\n/.exec(source)?.[1] ?? ''
  const codes = [...union.matchAll(/'([\w.]+)'/g)].map(m => m[1]!)
  assert.ok(codes.length > 50, `${codes.length} codes read from src/node/errors.ts`)
  for (const locale of LOCALES) {
    const missing = codes.filter(code => !(`errors.${code}` in catalogs[locale]))
    assert.deepEqual(missing, [], `codes without a ${locale} message (they would show the node's English text)`)
  }
  setLocale('de')
  try {
    assert.equal(t('errors.transfer.state', { id: 'ab12', state: 'paused' }), 'Übertragung ab12 ist im Zustand paused: jetzt nicht möglich')
    assert.match(t('errors.fetch.incomplete', { why: 'changed', output: '/x' }), /^die Dateien in \/x passen nicht mehr/)
  } finally { setLocale('en') }
})
