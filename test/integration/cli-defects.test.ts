// The CLI defects found by trying every command as a new user would (issue 15), each pinned by a
// test against the real CLI (`node bin/oht.js`, TCP transport on 127.0.0.1).
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { assertCliError, exists, oht, ohtJson, ohtOk, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { guessMime } from '../../src/blocks/mime.ts'
import { cell } from '../../cli/dashboard/format.ts'
import stringWidth from 'string-width'
import { startTor, TorBootstrapError } from '../../src/onion/index.ts'
import { errorText } from '../../cli/context.ts'
import { setLocale, t } from '../../cli/i18n/index.ts'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

describe('CLI defects (issue 15)', { concurrency: 2 }, () => {
  test('pins deny prints its message, not the raw catalog key', async t => {
    const node = join(await tempDir(t), 'node')
    const account = randomBytes(32).toString('hex')
    await ohtOk(node, ['pins', 'allow', account])
    const r = await ohtOk(node, ['pins', 'deny', account])
    assert.equal(r.stdout.trim(), `account ${account} may no longer pin here`)
    const again = await ohtOk(node, ['pins', 'deny', account])
    assert.equal(again.stdout.trim(), `account ${account} was not allowed`)
    assert.doesNotMatch(r.stdout + again.stdout, /pins\.deny/)
  })

  test('help texts no longer say that only TCP exists, in either language', async () => {
    for (const lang of ['en', 'de']) {
      for (const args of [['--help'], ['daemon', '--help']]) {
        const r = await ohtOk(undefined, ['--lang', lang, ...args])
        assert.doesNotMatch(r.stdout, /Tor comes next|Tor folgt|only --transport tcp|nur --transport tcp/, `${lang} ${args.join(' ')}`)
      }
    }
  })

  test('config set validates bootstrap addresses', async t => {
    const node = join(await tempDir(t), 'node')
    assertCliError(await oht(node, ['config', 'set', 'bootstrap', 'garbage']), /bad value "garbage" for bootstrap: expected a comma-separated list of node addresses/)
    assertCliError(await oht(node, ['config', 'set', 'bootstrap', 'tcp:127.0.0.1:4001,example.org:4001']), /for bootstrap/)
    const ok = await ohtJson<{ value: string[] }>(node, ['config', 'set', 'bootstrap', 'tcp:127.0.0.1:4001'])
    assert.deepEqual(ok.value.value, ['tcp:127.0.0.1:4001'])
  })

  test('global options are validated for every command, even those that do not use them', async t => {
    const node = join(await tempDir(t), 'node')
    const cases: Array<[string[], RegExp]> = [
      [['--max-upload', '2XB', 'ls'], /bad value "2XB" for --max-upload/],
      [['--max-download', '-5MiB', 'ls'], /bad value "-5MiB" for --max-download/],
      [['--max-upload-per-peer', '0', 'status'], /bad value "0" for --max-upload-per-peer/],
      [['--transport', 'udp', 'config', 'path'], /bad value "udp" for --transport: expected tor or tcp/],
      [['ls', '--transport', 'udp'], /bad value "udp" for --transport/],
      [['--bootstrap', 'garbage', 'ls'], /bad value "garbage" for --bootstrap/],
      [['--network', 'oht-net:nope', 'ls'], /bad value "oht-net:nope" for --network/],
      [['--progress', 'fancy', 'ls'], /unknown progress mode fancy/]
    ]
    for (const [args, pattern] of cases) assertCliError(await oht(node, args), pattern)
    assert.equal(await exists(node), false, 'no command ran: the data directory was never created')
    // A bad value in the config file is caught the same way.
    await mkdir(node, { recursive: true })
    await writeFile(join(node, 'config.json'), JSON.stringify({ maxUpload: '2XB' }))
    assertCliError(await oht(node, ['ls']), /maxUpload/)
  })

  test('share --block-size 3000 fails before reading any file', async t => {
    const tmp = await tempDir(t)
    // A path that does not exist: the block size must be refused first.
    const r = await oht(join(tmp, 'node'), ['share', '--block-size', '3000', join(tmp, 'missing')])
    assertCliError(r, /bad block size "3000": expected a power of two from 16KiB to 16MiB/)
    assert.doesNotMatch(r.stderr, /sharing/)
    assertCliError(await oht(join(tmp, 'node'), ['share', '--block-size', '32MiB', join(tmp, 'missing')]), /bad block size "32MiB"/)
  })

  test('fetch --file takes paths relative to the share root; a bad one lists the valid paths', async t => {
    const tmp = await tempDir(t)
    const node = join(tmp, 'node')
    await mkdir(join(tmp, 'pack', 'sub'), { recursive: true })
    const b = randomBytes(5000)
    await writeFile(join(tmp, 'pack', 'a.txt'), 'a')
    await writeFile(join(tmp, 'pack', 'sub', 'b.bin'), b)
    const { value: shared } = await ohtJson<{ link: string }>(node, ['share', join(tmp, 'pack')])
    for (const [i, file] of ['sub/b.bin', 'pack/sub/b.bin', './sub/b.bin', 'sub'].entries()) {
      const out = join(tmp, `out${i}`)
      await ohtOk(node, ['fetch', shared.link, '-o', out, '--file', file])
      assert.ok(b.equals(await readFile(join(out, 'pack', 'sub', 'b.bin'))), `--file ${file}`)
      assert.equal(await exists(join(out, 'pack', 'a.txt')), false, `--file ${file} fetched only its file`)
    }
    const line = assertCliError(await oht(node, ['fetch', shared.link, '-o', join(tmp, 'bad'), '--file', 'nope.bin']), /no file in the share matches "nope\.bin"/)
    assert.match(line, /pack\/a\.txt, pack\/sub\/b\.bin/)
  })

  test('dht put -q prints the reference alone', async t => {
    const tmp = await tempDir(t)
    const boot = await startDaemon(join(tmp, 'boot'))
    t.after(async () => { await boot.stop() })
    const r = await ohtOk(join(tmp, 'client'), ['--transport', 'tcp', '--bootstrap', boot.address, 'dht', 'put', '-q', 'hello'])
    assert.match(r.stdout, /^[0-9a-f]{64}\n$/)
    const full = await ohtOk(join(tmp, 'client'), ['--transport', 'tcp', '--bootstrap', boot.address, 'dht', 'put', 'hello'])
    assert.match(full.stdout, /^[0-9a-f]{64}\nstored on \d+ DHT nodes?\n$/)
  })

  test('a fetch whose --bootstrap does not answer says so', async t => {
    const tmp = await tempDir(t)
    await writeFile(join(tmp, 'a.txt'), 'a')
    const { value: shared } = await ohtJson<{ link: string }>(join(tmp, 'owner'), ['share', join(tmp, 'a.txt')])
    const r = await oht(join(tmp, 'other'), ['--transport', 'tcp', '--bootstrap', 'tcp:127.0.0.1:1', 'fetch', shared.link, '-o', join(tmp, 'out')])
    const line = assertCliError(r, /could not join the DHT .*no bootstrap node answered \(tcp:127\.0\.0\.1:1\)/)
    assert.doesNotMatch(line, /give --bootstrap/)
  })

  test('a finished transfer reports every block held', async t => {
    const tmp = await tempDir(t)
    const [seeder, leecher] = await Promise.all([startDaemon(join(tmp, 'seeder')), startDaemon(join(tmp, 'leecher'))])
    t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
    await writeFile(join(tmp, 'f.bin'), randomBytes(77 * 16384 - 100))
    const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', '--block-size', '16KiB', join(tmp, 'f.bin')])
    const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
    const added = await client.addTransfer(shared.link, { output: join(tmp, 'out'), peers: [seeder.address] })
    const deadline = Date.now() + 60_000
    let info = added
    while (info.state !== 'seeding' && Date.now() < deadline) {
      await sleep(100)
      info = (await client.transfers()).find(x => x.id === added.id)!
      assert.notEqual(info.state, 'failed', info.error)
    }
    assert.equal(info.state, 'seeding', 'a finished daemon fetch seeds')
    assert.equal(info.blocksWanted, 77)
    assert.equal(info.blocksHeld, 77)
  })

  test('commander headings and defaults follow --lang de; oht --help is grouped with examples', async () => {
    const de = await ohtOk(undefined, ['--lang', 'de', 'share', '--help'])
    assert.match(de.stdout, /^Aufruf: oht share/)
    assert.match(de.stdout, /^Optionen:$/m)
    assert.match(de.stdout, /^Argumente:$/m)
    assert.match(de.stdout, /\(Standard: "256KiB"\)/)
    assert.doesNotMatch(de.stdout, /^(Usage|Options|Arguments):/m)
    const en = await ohtOk(undefined, ['--help'])
    const headings = en.stdout.split('\n').filter(l => /^[A-Z][a-z ]+:$/.test(l))
    assert.deepEqual(headings, ['Options:', 'Basic commands:', 'Running a node:', 'Pinning and accounts:', 'Network commands:', 'Tool commands:', 'Examples:'])
    assert.match(en.stdout, /Basic commands:\n {2}init\b[^\n]*\n {2}share\b/)
    assert.match(en.stdout, /^ {2}fetch \[options\] <link> +fetch a share from its link$/m, 'one-line summaries')
    assert.match(en.stdout, /^ {2}oht share \.\/photos/m)
    const deTop = await ohtOk(undefined, ['--lang', 'de', '--help'])
    assert.match(deTop.stdout, /^Grundbefehle:$/m)
  })

  test('commander\'s errors and the node\'s follow --lang de; one line each, the English text never shows', async t => {
    const node = join(await tempDir(t), 'node')
    const cases: Array<[string[], RegExp, RegExp]> = [
      [['fetch'], /^oht: Fehler: das Argument 'link' fehlt$/m, /missing required argument 'link'/],
      [['--bogus', 'ls'], /^oht: Fehler: unbekannte Option '--bogus'$/m, /unknown option/],
      [['lss'], /^oht: Fehler: unbekannter Befehl 'lss'\n\(meinten Sie ls\?\)$/m, /unknown command|Did you mean/],
      [['ls', 'extra'], /^oht: Fehler: zu viele Argumente für 'ls': erwartet 0 Argumente, erhalten 1$/m, /too many arguments/],
      [['export', 'x'], /^oht: Fehler: die Option '--car' ist Pflicht$/m, /not specified/],
      [['--max-upload'], /^oht: Fehler: die Option '--max-upload <rate>' braucht einen Wert$/m, /argument missing/],
      [['fetch', 'garbage'], /^oht: Fehler: kein oht-Link: erwartet oht:\/\/<ID>#<Schlüssel>/m, /not an oht link/],
      [['share', join(node, 'missing')], /^oht: Fehler: Datei oder Verzeichnis nicht gefunden: /m, /no such file/],
      [['unshare', 'zzz'], /^oht: Fehler: keine Freigabe-ID und kein Link: "zzz"/m, /Invalid CID|not a share id/]
    ]
    for (const [args, german, english] of cases) {
      const r = await oht(node, ['--lang', 'de', ...args])
      assert.notEqual(r.code, 0, args.join(' '))
      assert.match(r.stderr, german, args.join(' '))
      assert.doesNotMatch(r.stderr, english, args.join(' '))
    }
    // --json carries the same translated message, with commander's code.
    const json = await oht(node, ['--lang', 'de', '--json', 'ls', 'extra'])
    assert.deepEqual(JSON.parse(json.stdout.trim()), { error: { code: 'commander.excessArguments', message: 'zu viele Argumente für \'ls\': erwartet 0 Argumente, erhalten 1' } })
    const link = await oht(node, ['--json', 'fetch', 'garbage'])
    assert.equal((JSON.parse(link.stdout.trim()) as { error: { code: string } }).error.code, 'link.bad')
  })

  test('a tor that cannot reach the Tor network says so plainly', async t => {
    const tmp = await tempDir(t)
    // A real tor whose only way in is a bridge nobody runs: it can never bootstrap (no traffic
    // leaves 127.0.0.1).
    const tor = await startTor({ dataDir: join(tmp, 'tor'), config: ['UseBridges 1', 'Bridge 127.0.0.1:9', 'ClientUseIPv6 0'] })
    t.after(async () => { await tor.close() })
    const err = await tor.waitForBootstrap({ timeoutMs: 3000 }).then(() => undefined, (e: unknown) => e)
    assert.ok(err instanceof TorBootstrapError, String(err))
    assert.match(err.message, /^tor could not reach the Tor network after 3 s \(last: .*\): is this machine online\? `oht demo` runs a private network$/)
    assert.match(errorText(err), /^tor could not reach the Tor network after 3 s/)
    setLocale('de')
    assert.match(errorText(err), /^tor hat das Tor-Netz nach 3 s nicht erreicht/)
    setLocale('en')
  })

  test('plurals follow Intl.PluralRules in both languages', () => {
    setLocale('en')
    assert.equal(t('dht.put.stored', { n: 1 }), 'stored on 1 DHT node')
    assert.equal(t('dht.put.stored', { n: 0 }), 'stored on 0 DHT nodes')
    assert.equal(t('daemon.seeding', { count: 1 }), 'seeding 1 share')
    assert.equal(t('daemon.seeding', { count: 3 }), 'seeding 3 shares')
    setLocale('de')
    assert.equal(t('daemon.seeding', { count: 1 }), 'verteilt 1 Freigabe')
    assert.equal(t('daemon.seeding', { count: 2 }), 'verteilt 2 Freigaben')
    assert.equal(t('dht.peers.failures', { n: 1 }), '1 fehlgeschlagene Anfrage')
    setLocale('en')
  })

  test('dashboard cells measure terminal columns (CJK is two wide)', () => {
    for (const [text, width] of [['映画のタイトル.mkv', 10], ['abc', 6], ['映画', 3], ['e\u0301t\u00e9', 4], ['a😀b', 3]] as const) {
      const left = cell(text, width)
      assert.equal(stringWidth(left), width, `${text} in ${width}`)
      assert.equal(stringWidth(cell(text, width, 'right')), width)
    }
    assert.equal(cell('映画のタイトル.mkv', 10), '映画のタ… ')
  })

  test('media types come from the mime package (subtitles, flv, wmv) and keep manifests unchanged', () => {
    assert.equal(guessMime('a/sub.vtt'), 'text/vtt; charset=utf-8')
    assert.equal(guessMime('a/sub.srt'), 'application/x-subrip')
    assert.equal(guessMime('clip.FLV'), 'video/x-flv')
    assert.equal(guessMime('clip.wmv'), 'video/x-ms-wmv')
    assert.equal(guessMime('movie.mkv'), 'video/x-matroska')
    assert.equal(guessMime('blob.bin'), undefined, 'octet-stream is left out, as before')
    assert.equal(guessMime('noext'), undefined)
  })
})

describe('--json errors and exit codes', { concurrency: 2 }, () => {
  const jsonLine = (stdout: string): { error: { code: string, message: string } } => {
    const lines = stdout.split('\n').filter(l => l !== '')
    assert.equal(lines.length, 1, `one JSON line on stdout, got:\n${stdout}`)
    return JSON.parse(lines[0]!) as { error: { code: string, message: string } }
  }

  test('an error under --json is {"error": {code, message}}; usage errors exit 2, others 1', async t => {
    const node = join(await tempDir(t), 'node')
    const bad = await oht(node, ['fetch', 'oht://nonsense'], { json: true })
    assert.equal(bad.code, 1)
    assert.deepEqual(Object.keys(jsonLine(bad.stdout).error).sort(), ['code', 'message'])
    assert.match(jsonLine(bad.stdout).error.message, /not an oht link/)
    assertCliError(bad, /not an oht link/)

    const unknown = await oht(node, ['--bogus'], { json: true })
    assert.equal(unknown.code, 2)
    assert.deepEqual(jsonLine(unknown.stdout).error, { code: 'commander.unknownOption', message: "unknown option '--bogus'" })
    const missing = await oht(node, ['fetch'], { json: true })
    assert.equal(missing.code, 2)
    assert.equal(jsonLine(missing.stdout).error.code, 'commander.missingArgument')
    const rate = await oht(node, ['--max-upload', '2XB', 'ls'], { json: true })
    assert.equal(rate.code, 2)
    assert.equal(jsonLine(rate.stdout).error.code, 'usage.badOption')
    const config = await oht(node, ['config', 'set', 'lang', 'xx'], { json: true })
    assert.equal(config.code, 1)
    assert.equal(jsonLine(config.stdout).error.code, 'config.badValue')
    const noPeers = await oht(node, ['fetch', 'oht://bafyreifevnvqkzv3lqxerollt3ddhqwuumrptrcufhj5ji5euuzjsdx6da#__________________________________________8'], { json: true })
    assert.equal(noPeers.code, 1)
    assert.match(jsonLine(noPeers.stdout).error.code, /^fetch\./)

    const ok = await oht(undefined, ['--version'])
    assert.equal(ok.code, 0)
    const help = await oht(undefined, ['--help'], { json: true })
    assert.equal(help.code, 0)
  })

  test('Ctrl-C during a fetch exits 130', async t => {
    const tmp = await tempDir(t)
    const seeder = await startDaemon(join(tmp, 'seeder'), ['--max-upload', '64KiB'])
    t.after(async () => { await seeder.stop() })
    await writeFile(join(tmp, 'f.bin'), randomBytes(4 * 1024 * 1024))
    const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(tmp, 'f.bin')])
    const { spawn } = await import('node:child_process')
    const { NODE_BIN, OHT_BIN, REPO } = await import('../helpers/cli.ts')
    const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', join(tmp, 'leecher'), '--transport', 'tcp', '--progress', 'lines', 'fetch', shared.link, '-o', join(tmp, 'out'), '--peer', seeder.address], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    const started = new Promise<void>(resolve => {
      child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); if (/fetching: +\d+%/.test(stderr)) resolve() })
    })
    const exited = new Promise<number | null>(resolve => { child.once('exit', code => { resolve(code) }) })
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
    await started
    child.kill('SIGINT')
    const code = await exited
    clearTimeout(timer)
    assert.equal(code, 130, stderr)
    assert.match(stderr, /oht: error: interrupted/)
  })
})

describe('debug logging', { concurrency: 2 }, () => {
  test('oht daemon --log-file writes the oht namespaces to a 0600 file, never a link key', async t => {
    const tmp = await tempDir(t)
    const logFile = join(tmp, 'seeder.log')
    const seeder = await startDaemon(join(tmp, 'seeder'), [], 20_000, ['--log-file', logFile])
    t.after(async () => { await seeder.stop() })
    await writeFile(join(tmp, 'f.bin'), randomBytes(300_000))
    const { value: shared } = await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(tmp, 'f.bin')])
    await ohtOk(join(tmp, 'leecher'), ['--transport', 'tcp', 'fetch', shared.link, '-o', join(tmp, 'out'), '--peer', seeder.address])
    const { stat } = await import('node:fs/promises')
    assert.equal((await stat(logFile)).mode & 0o777, 0o600)
    const log = await readFile(logFile, 'utf8')
    for (const line of log.trim().split('\n')) assert.match(line, /^\d{4}-\d\d-\d\dT[\d:.]+Z (warning: |oht:[a-z:]+ )/, line)
    assert.match(log, / oht:api (GET|POST) \/v0\//)
    assert.match(log, / oht:swarm \S+ peer:connected/)
    assert.match(log, / oht:dht bootstrap/)
    assert.match(log, /warning: the TCP transport is not anonymous/)
    assert.doesNotMatch(log, /oht:swarm:block/, 'per-block lines only when asked for')
    assert.ok(!log.includes(shared.link.split('#')[1]!), 'the link key never reaches the log')
    assert.doesNotMatch(log, /\x1b\[/, 'no terminal colors in the file') // eslint-disable-line no-control-regex
  })

  test('DEBUG=oht:dht shows the DHT namespace on stderr of any command', async t => {
    const tmp = await tempDir(t)
    const boot = await startDaemon(join(tmp, 'boot'))
    t.after(async () => { await boot.stop() })
    const r = await ohtOk(join(tmp, 'client'), ['--transport', 'tcp', '--bootstrap', boot.address, 'dht', 'put', '-q', 'hi'], { env: { DEBUG: 'oht:dht', DEBUG_COLORS: 'no' } })
    assert.match(r.stderr, /oht:dht bootstrap: 1 of 1 reached/)
    assert.match(r.stderr, /oht:dht /)
    assert.doesNotMatch(r.stderr, /oht:api|oht:swarm/)
  })
})

/**
 * Runs oht on a real pseudo-terminal (util-linux `script`), typing each answer once the prompt
 * matching it shows; returns everything the terminal showed and the exit code.
 */
async function onTerminal (dataDir: string, args: readonly string[], dialog: Array<[RegExp, string]>, env: Record<string, string> = {}): Promise<{ code: number | null, screen: string }> {
  const { spawn } = await import('node:child_process')
  const { NODE_BIN, OHT_BIN, REPO } = await import('../helpers/cli.ts')
  const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`
  const command = [NODE_BIN, OHT_BIN, '--data-dir', dataDir, ...args].map(quote).join(' ')
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  delete childEnv.OHT_PASSPHRASE
  delete childEnv.NODE_TEST_CONTEXT
  for (const [k, v] of Object.entries(env)) childEnv[k] = v
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: REPO, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] })
  let screen = ''
  let step = 0
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString()
    while (step < dialog.length && dialog[step]![0].test(screen)) {
      child.stdin.write(`${dialog[step]![1]}\r`)
      screen += '⏎' // answered: the next prompt must come after this point
      dialog[step]![0] = new RegExp(`⏎[^⏎]*${dialog[step]![0].source}`) // never matches the same prompt twice
      step++
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>(resolve => { child.once('exit', c => { resolve(c) }) })
  clearTimeout(timer)
  return { code, screen }
}

describe('passphrase', { concurrency: 1 }, () => {
  test('an encrypted keystore is unlocked by a hidden prompt on a terminal; account passwd changes it', async t => {
    const node = join(await tempDir(t), 'node')
    const nodeId = (await ohtJson<{ nodeId: string }>(node, ['init'], { env: { OHT_PASSPHRASE: 'old secret' } })).value.nodeId
    const keystore = JSON.parse(await readFile(join(node, 'keystore.json'), 'utf8')) as { crypto: { kdfparams: { n: number } } }
    assert.equal(keystore.crypto.kdfparams.n, 2 ** 15, 'sealed under a passphrase')

    const unlocked = await onTerminal(node, ['init'], [[/passphrase for the keystores of /, 'old secret']])
    assert.equal(unlocked.code, 0, unlocked.screen)
    assert.match(unlocked.screen, new RegExp(`already initialized: node ${nodeId}`))
    assert.doesNotMatch(unlocked.screen, /old secret/, 'the passphrase is not echoed')

    const wrong = await onTerminal(node, ['init'], [[/passphrase for the keystores of /, 'guess']])
    assert.equal(wrong.code, 1)
    assert.match(wrong.screen, /oht: error: cannot unlock the keystore: wrong passphrase/)

    // No terminal and no OHT_PASSPHRASE: the usual error at once, no prompt, no hang.
    assertCliError(await oht(node, ['init']), /cannot unlock the keystore/)

    const changed = await onTerminal(node, ['account', 'passwd'], [[/current passphrase: /, 'old secret'], [/new passphrase: /, 'new secret'], [/new passphrase again: /, 'new secret']])
    assert.equal(changed.code, 0, changed.screen)
    assert.match(changed.screen, /passphrase changed/)
    assertCliError(await oht(node, ['init'], { env: { OHT_PASSPHRASE: 'old secret' } }), /cannot unlock/)
    await ohtOk(node, ['init'], { env: { OHT_PASSPHRASE: 'new secret' } })

    const mismatch = await onTerminal(node, ['account', 'passwd'], [[/current passphrase: /, 'new secret'], [/new passphrase: /, 'a'], [/new passphrase again: /, 'b']])
    assert.equal(mismatch.code, 1)
    assert.match(mismatch.screen, /the passphrases differ; nothing changed/)
    await ohtOk(node, ['init'], { env: { OHT_PASSPHRASE: 'new secret' } })
  })

  test('account passwd from the environment re-encrypts the node and account keystores together', async t => {
    const node = join(await tempDir(t), 'node')
    await ohtOk(node, ['init'], { env: { OHT_PASSPHRASE: 'one' } })
    const account = (await ohtJson<{ id: string }>(node, ['account', 'create'], { env: { OHT_PASSPHRASE: 'one' } })).value.id
    // A wrong current passphrase changes nothing.
    assertCliError(await oht(node, ['account', 'passwd'], { env: { OHT_PASSPHRASE: 'nope', OHT_NEW_PASSPHRASE: 'two' } }), /cannot unlock/)
    await ohtOk(node, ['account', 'sign', 'hello'], { env: { OHT_PASSPHRASE: 'one' } })
    const { value } = await ohtJson<{ accounts: number, keystore: boolean }>(node, ['account', 'passwd'], { env: { OHT_PASSPHRASE: 'one', OHT_NEW_PASSPHRASE: 'two' } })
    assert.deepEqual([value.keystore, value.accounts], [true, 1])
    const signed = await ohtJson<{ account: string }>(node, ['account', 'sign', 'hello'], { env: { OHT_PASSPHRASE: 'two' } })
    assert.equal(signed.value.account, account)
    assertCliError(await oht(node, ['account', 'sign', 'hello'], { env: { OHT_PASSPHRASE: 'one' } }), /cannot unlock/)
    await ohtOk(node, ['init'], { env: { OHT_PASSPHRASE: 'two' } })
    assertCliError(await oht(node, ['account', 'passwd'], { env: { OHT_PASSPHRASE: 'two' } }), /no terminal to ask for the new passphrase on: set OHT_NEW_PASSPHRASE/)
  })
})
