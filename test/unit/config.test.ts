// The config file: where it is, validated keys, clear errors, and the CLI (config get/set/list,
// flags win over the file, the daemon reads api.tcp, the language comes from it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import envPaths from 'env-paths'
import { ConfigError, ConfigFile, configPath, CONFIG_KEYS } from '../../src/node/identity/config.ts'
import { tempDir } from '../helpers/cli.ts'

test('where the file is: OHT_CONFIG, then the chosen data dir, then OHT_HOME, then the platform path', () => {
  assert.equal(configPath({ dataDir: '/d', env: { OHT_CONFIG: '/c/oht.json', OHT_HOME: '/h' } }), '/c/oht.json')
  assert.equal(configPath({ dataDir: '/d', env: { OHT_HOME: '/h' } }), '/d/config.json')
  assert.equal(configPath({ env: { OHT_HOME: '/h' } }), '/h/config.json')
  assert.equal(configPath({ env: {} }), join(envPaths('oht', { suffix: '' }).config, 'config.json'))
})

test('set, get, unset: validated and normalized, written 0600, atomically', async t => {
  const dir = await tempDir(t, 'oht-config-')
  const file = new ConfigFile(join(dir, 'sub', 'config.json'))
  assert.deepEqual(file.load(), {}, 'a missing file is an empty config')
  assert.equal(file.set('transport', ' tcp '), 'tcp')
  assert.equal(file.set('maxUpload', '2MiB'), '2MiB')
  assert.deepEqual(file.set('bootstrap', 'tcp:127.0.0.1:4001, tcp:127.0.0.1:4002,'), ['tcp:127.0.0.1:4001', 'tcp:127.0.0.1:4002'])
  assert.equal(file.set('pin.defaultTtl', 'never'), 'never')
  assert.equal(file.set('api.tcp', '127.0.0.1:7701'), '127.0.0.1:7701')
  assert.equal(file.set('lang', 'DE'), 'de')
  assert.equal(file.set('listen', '[::1]:4001'), '[::1]:4001')
  assert.equal(file.get('maxUpload'), '2MiB')
  assert.equal((await stat(file.path)).mode & 0o777, 0o600)
  const onDisk = JSON.parse(await readFile(file.path, 'utf8')) as Record<string, unknown>
  assert.deepEqual(Object.keys(onDisk).sort(), ['api.tcp', 'bootstrap', 'lang', 'listen', 'maxUpload', 'pin.defaultTtl', 'transport'])
  file.unset('maxUpload')
  assert.equal(file.get('maxUpload'), undefined)
  file.unset('maxUpload') // twice is fine
})

test('bad keys, bad values and broken files are clear errors with codes', async t => {
  const dir = await tempDir(t, 'oht-config-')
  const file = new ConfigFile(join(dir, 'config.json'))
  const code = (fn: () => unknown): string => { try { fn() } catch (err) { assert.ok(err instanceof ConfigError, String(err)); return `${err.code}:${err.params.expected ?? ''}` } return 'no error' }
  assert.equal(code(() => file.set('maxupload', '1MiB')), 'unknownKey:')
  assert.equal(code(() => file.get('__proto__')), 'unknownKey:')
  assert.equal(code(() => file.set('transport', 'udp')), 'badValue:transport')
  assert.equal(code(() => file.set('listen', '4001')), 'badValue:hostPort')
  assert.equal(code(() => file.set('listen', '127.0.0.1:99999')), 'badValue:hostPort')
  assert.equal(code(() => file.set('maxUpload', 'fast')), 'badValue:size')
  assert.equal(code(() => file.set('maxUpload', '-1MiB')), 'badValue:size')
  assert.equal(code(() => file.set('bootstrap', ' , ')), 'badValue:addresses')
  assert.equal(code(() => file.set('bootstrap', 'a b')), 'badValue:addresses')
  assert.equal(code(() => file.set('pin.defaultTtl', 'soon')), 'badValue:duration')
  assert.equal(code(() => file.set('api.tcp', '0.0.0.0:7701')), 'badValue:loopback', 'the API never leaves the machine')
  assert.equal(code(() => file.set('lang', 'fr')), 'badValue:lang')
  assert.throws(() => file.set('maxUpload', 'fast'), /bad value "fast" for maxUpload: expected a size per second/)
  assert.deepEqual(file.load(), {}, 'nothing was written by failed sets')

  await writeFile(file.path, '{"maxUpload": "2MiB",')
  assert.equal(code(() => file.load()), 'badFile:')
  await writeFile(file.path, '[1, 2]')
  assert.equal(code(() => file.load()), 'badFile:')
  await writeFile(file.path, '{"colour": "blue"}')
  assert.equal(code(() => file.load()), 'unknownKey:', 'an unknown key in the file is reported, not ignored')
  await writeFile(file.path, '{"transport": "carrier-pigeon"}')
  assert.equal(code(() => file.load()), 'badValue:transport')
  for (const [key, def] of Object.entries(CONFIG_KEYS)) assert.doesNotThrow(() => def.parse(def.example), `${key}'s example is valid`)
})
