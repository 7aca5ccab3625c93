// The config file through the CLI: config get/set/list, flags win over the file, the daemon
// reads api.tcp, the language comes from it (processes; the file itself: test/unit/config.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'

test('oht config: get, set, list, path, errors in the user\'s language; the file\'s values under the flags', async t => {
  const dir = await tempDir(t, 'oht-config-cli-')
  const data = join(dir, 'node')
  const set = await ohtJson<{ key: string, value: string, path: string }>(data, ['config', 'set', 'maxUpload', '3MiB'])
  assert.deepEqual(set.value, { key: 'maxUpload', value: '3MiB', path: join(data, 'config.json') })
  assert.deepEqual((await ohtJson(data, ['config', 'get', 'maxUpload'])).value, { key: 'maxUpload', value: '3MiB' })
  assert.deepEqual((await ohtJson(data, ['config', 'get', 'listen'])).value, { key: 'listen', value: null })
  assert.deepEqual((await ohtJson(data, ['config', 'path'])).value, { path: join(data, 'config.json') })
  const list = await oht(data, ['config', 'list'])
  assert.match(list.stdout, /^maxUpload = 3MiB$/m)
  assert.match(list.stdout, /^transport = \(not set\)$/m)
  assert.match(list.stdout, /bootstrap = \(not set\)\n {4}e\.g\. tcp:127\.0\.0\.1:4001,tcp:127\.0\.0\.1:4002; read by the DHT: daemon, and fetch\/stream\/pin\/dht without a daemon \(--bootstrap\)/)

  assertCliError(await oht(data, ['config', 'set', 'colour', 'blue']), /^oht: error: unknown config key "colour" \(known: transport, listen, maxUpload/)
  assertCliError(await oht(data, ['config', 'set', 'transport', 'udp']), /^oht: error: bad value "udp" for transport: expected tor or tcp$/)
  const german = await oht(data, ['config', 'set', 'transport', 'udp'], { env: { LANG: 'de_DE.UTF-8' } })
  assert.equal(german.code, 1)
  assert.equal(german.stderr, 'oht: Fehler: ungültiger Wert "udp" für transport: erwartet wird tor oder tcp\n')

  // lang from the file; --lang wins over it; LANG loses to both.
  await ohtJson(data, ['config', 'set', 'lang', 'de'])
  assert.match((await oht(data, ['status'], { env: { LANG: 'en_US.UTF-8' } })).stdout, /kein Daemon läuft/)
  assert.match((await oht(data, ['--lang', 'en', 'status'])).stdout, /no daemon running/)
  assert.match((await oht(data, ['--help'])).stdout, /Datenverzeichnis des Knotens/, 'help in the config\'s language')

  // transport from the file is used; the flag wins.
  await ohtJson(data, ['config', 'set', 'transport', 'tor'])
  const link = 'oht://bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy#' + 'A'.repeat(43)
  const viaConfig = await oht(data, ['--lang', 'en', 'fetch', link, '--peer', 'tcp:127.0.0.1:9', '-o', join(dir, 'o')])
  assertCliError(viaConfig, /the Tor transport dials \.onion addresses only/)
  const viaFlag = await oht(data, ['--lang', 'en', '--transport', 'tcp', 'fetch', link, '--peer', 'tcp:127.0.0.1:9', '-o', join(dir, 'o')])
  assert.notEqual(viaFlag.code, 0)
  assert.doesNotMatch(viaFlag.stderr, /\.onion addresses only/, 'the --transport flag wins over the file')
  // A broken file is a clear error for every command.
  await writeFile(join(data, 'config.json'), '{"maxUpload": ')
  assertCliError(await oht(data, ['--lang', 'en', 'status']), /^oht: error: the config file is unusable: .*\(.*config\.json\)$/)
})

test('the daemon reads api.tcp from the config file', async t => {
  const dir = await tempDir(t, 'oht-config-daemon-')
  const data = join(dir, 'node')
  await ohtJson(data, ['config', 'set', 'api.tcp', '127.0.0.1:0'])
  const d = await startDaemon(data)
  t.after(async () => { await d.stop() })
  const st = await new DaemonClient(join(data, 'api.sock')).status()
  assert.match(st.api?.tcp ?? '', /^127\.0\.0\.1:\d+$/)
  const token = (await readFile(join(data, 'api.token'), 'utf8')).trim()
  const [, host, port] = /^(.*):(\d+)$/.exec(st.api!.tcp!)!
  assert.equal((await new DaemonClient('/nonexistent', { tcp: { host: host!, port: Number(port), token } }).status()).nodeId, d.nodeId)
})
