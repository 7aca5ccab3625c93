// The service files as shipped (packaging/): the systemd user unit passes `systemd-analyze
// verify`, and its ExecStartPre/ExecStart run as written (only %h and PATH given by the test) start
// a daemon that the same user's `oht` reaches and that SIGTERM (its KillSignal) stops cleanly.
// The Dockerfile cannot be built here (no container engine, no base images offline): its ENV,
// ENTRYPOINT and CMD run as written with /data mapped to a temporary directory, and `oht` beside
// the daemon (as `docker exec`) shares through it. Its RUN steps: the npm install is the tarball
// test (package.test.ts); apt-get and useradd change the machine and are not run.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { promisify } from 'node:util'
import { NODE_BIN, REPO, tempDir } from '../helpers/cli.ts'

const run = promisify(execFile)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** A unit file's sections and their keys (a key given twice keeps every value). */
function parseUnit (text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section != null) { current = new Map(); sections.set(section[1]!, current); continue }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line)
    assert.ok(kv != null && current != null, `a unit line this test cannot read: ${line}`)
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!])
  }
  return sections
}

/** A Dockerfile's instructions in order (continuation lines joined, comments dropped). */
function parseDockerfile (text: string): Array<[string, string]> {
  const joined = text.split('\n').filter(l => !l.trim().startsWith('#')).join('\n').replace(/\\\n/g, ' ')
  return joined.split('\n').map(l => l.trim()).filter(l => l !== '').map(l => {
    const m = /^([A-Z]+)\s+(.*)$/.exec(l)
    assert.ok(m != null, `a Dockerfile line this test cannot read: ${l}`)
    return [m[1]!, m[2]!]
  })
}

/** `oht` and `ohtd` on PATH as npm -g installs them (links to the launchers), with Node 24 first. */
async function installedPath (t: TestContext): Promise<string> {
  const bin = join(await tempDir(t, 'oht-bin-'), 'bin')
  await mkdir(bin)
  await symlink(join(REPO, 'bin', 'oht.js'), join(bin, 'oht'))
  await symlink(join(REPO, 'bin', 'ohtd.js'), join(bin, 'ohtd'))
  return `${bin}:${dirname(NODE_BIN)}:/usr/bin:/bin`
}

/** Starts a service's command line, waits until `oht status` (same env) reaches it; returns how to stop it as the service manager would. */
async function startService (t: TestContext, argv: string[], env: NodeJS.ProcessEnv): Promise<{ stop: (signal: NodeJS.Signals) => Promise<number | null>, output: () => string }> {
  const proc = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  proc.stdout.on('data', (d: Buffer) => { output += d.toString() })
  proc.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const exited = new Promise<number | null>(resolve => { proc.once('exit', code => { resolve(code) }) })
  t.after(() => { if (proc.exitCode == null && proc.signalCode == null) proc.kill('SIGKILL') })
  // Ready once it prints where its API is (asking `oht status` earlier would open the data directory itself).
  const deadline = Date.now() + 60_000
  while (!/^API: /m.test(output)) {
    assert.ok(proc.exitCode == null, `the service exited with ${proc.exitCode}: ${output}`)
    assert.ok(Date.now() < deadline, `the service did not come up in 60 s: ${output}`)
    await sleep(100)
  }
  assert.match((await run('oht', ['status'], { env })).stdout, /daemon listening on tcp:127\.0\.0\.1:\d+/, 'the same user\'s oht reaches it')
  return {
    stop: async signal => {
      proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    output: () => output
  }
}

test('the systemd user unit passes systemd-analyze verify', { skip: existsSync('/usr/bin/systemd-analyze') ? false : 'systemd-analyze is not installed' }, async t => {
  const tmp = await tempDir(t, 'oht-unit-')
  // Verified under its shipped name; a user manager needs a runtime directory.
  await writeFile(join(tmp, 'oht.service'), await readFile(join(REPO, 'packaging', 'systemd', 'oht.service')))
  await mkdir(join(tmp, 'run'), { mode: 0o700 })
  const r = await run('systemd-analyze', ['--user', 'verify', join(tmp, 'oht.service')], { env: { ...process.env, XDG_RUNTIME_DIR: join(tmp, 'run') } })
  assert.equal(r.stderr.trim(), '', 'no warning: every key known, every command found')
  // The check itself bites: a unit with an unknown key and a missing command is reported.
  await writeFile(join(tmp, 'bad.service'), '[Service]\nExecStart=/nonexistent/ohtd\nBogusKey=1\n')
  const bad = await run('systemd-analyze', ['--user', 'verify', join(tmp, 'bad.service')], { env: { ...process.env, XDG_RUNTIME_DIR: join(tmp, 'run') } }).then(() => '', (e: { stderr: string }) => e.stderr)
  assert.match(bad, /Unknown key 'BogusKey'/)
  assert.match(bad, /not executable/)
})

test('the systemd unit\'s ExecStartPre and ExecStart, run as written, start a daemon oht reaches; SIGTERM stops it cleanly', { timeout: 120_000 }, async t => {
  const unit = parseUnit(await readFile(join(REPO, 'packaging', 'systemd', 'oht.service'), 'utf8'))
  const service = unit.get('Service')!
  assert.deepEqual(service.get('Type'), ['simple'])
  assert.deepEqual(service.get('KillSignal'), ['SIGTERM'])
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['default.target'], 'a user unit: started with the user manager')
  const home = await tempDir(t, 'oht-unit-home-')
  const expand = (line: string): string[] => line.replaceAll('%h', home).split(/\s+/)
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: await installedPath(t), LANG: 'C' }
  // The EnvironmentFile (optional: its leading -): a passphrase for the keystore, as the unit's comment says.
  const [envFile] = service.get('EnvironmentFile')!
  assert.ok(envFile!.startsWith('-'))
  await mkdir(dirname(expand(envFile!.slice(1))[0]!), { recursive: true })
  await writeFile(expand(envFile!.slice(1))[0]!, 'OHT_PASSPHRASE=correct horse battery\n', { mode: 0o600 })
  for (const line of (await readFile(expand(envFile!.slice(1))[0]!, 'utf8')).split('\n')) {
    const kv = /^(\w+)=(.*)$/.exec(line)
    if (kv != null) env[kv[1]!] = kv[2]!
  }
  // The user's own config (no network here: the TCP transport on 127.0.0.1 instead of Tor).
  await run('oht', ['config', 'set', 'transport', 'tcp'], { env })
  await run('oht', ['config', 'set', 'listen', '127.0.0.1:0'], { env })

  for (const pre of service.get('ExecStartPre') ?? []) { const [cmd, ...args] = expand(pre); await run(cmd!, args, { env }) }
  const [execStart] = service.get('ExecStart')!
  const argv = expand(execStart!)
  const daemon = await startService(t, argv, env)
  const logFile = argv[argv.indexOf('--log-file') + 1]!
  assert.equal(((await stat(logFile)).mode & 0o777), 0o600, 'the log file is the user\'s alone')
  assert.match(await readFile(logFile, 'utf8'), /Z oht:api GET \/v0\/status\n/, 'the log holds the request oht status made')
  const keystore = JSON.parse(await readFile(join(home, '.local', 'share', 'oht', 'keystore.json'), 'utf8')) as { crypto?: { kdf?: string } }
  assert.equal(keystore.crypto?.kdf, 'scrypt', 'the passphrase from the EnvironmentFile encrypted the keystore')
  assert.equal(await daemon.stop('SIGTERM'), 0, `SIGTERM ends the daemon with status 0 (no Restart=on-failure): ${daemon.output()}`)
})

test('the Dockerfile\'s ENV, ENTRYPOINT and CMD run as written (with /data in a temporary directory); oht beside it shares through the daemon', { timeout: 120_000 }, async t => {
  const { name, version } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { name: string, version: string }
  const steps = parseDockerfile(await readFile(join(REPO, 'packaging', 'Dockerfile'), 'utf8'))
  const one = (instruction: string): string => { const all = steps.filter(([i]) => i === instruction); assert.equal(all.length, 1, instruction); return all[0]![1] }
  assert.match(one('FROM'), /^node:24-bookworm/, 'Node 24 on Debian (package.json engines)')
  assert.ok(steps.some(([i, a]) => i === 'RUN' && /apt-get install .*\btor\b/.test(a)), 'tor from Debian')
  const copied = one('COPY').split(/\s+/)[0]!
  assert.ok(new RegExp(`^${copied.replace('*', '.*')}$`).test(`${name}-${version}.tgz`), `COPY ${copied} takes what npm pack writes (${name}-${version}.tgz)`)
  assert.ok(steps.some(([i, a]) => i === 'RUN' && a.includes(`npm install -g /tmp/${copied}`)), 'installed from the tarball (as package.test.ts does)')
  assert.notEqual(one('USER'), 'root')

  const root = await tempDir(t, 'oht-docker-')
  const data = join(root, 'data')
  await mkdir(data, { mode: 0o700 })
  const map = (s: string): string => s.replace(/(^|[\s"=])\/data\b/g, `$1${data}`)
  const env: NodeJS.ProcessEnv = { PATH: await installedPath(t), HOME: root, LANG: 'C' }
  for (const [k, v] of one('ENV').split(/\s+/).map(kv => kv.split('=') as [string, string])) env[k] = map(v)
  assert.equal(env.OHT_HOME, data)
  assert.equal(map(one('VOLUME')), data, 'the data directory is the volume')
  const entry = JSON.parse(one('ENTRYPOINT')) as string[]
  const cmd = (JSON.parse(one('CMD')) as string[]).map(map)
  // The data directory's config, as `docker exec oht oht config set` would write it (no Tor network here).
  await run('oht', ['config', 'set', 'transport', 'tcp'], { env })
  await run('oht', ['config', 'set', 'listen', '127.0.0.1:0'], { env })
  const daemon = await startService(t, [...entry, ...cmd], env)
  assert.ok(existsSync(join(data, 'oht.log')), 'CMD\'s log file is in the volume')
  await mkdir(join(data, 'inbox'))
  await writeFile(join(data, 'inbox', 'a.txt'), 'hello from the container')
  const shared = JSON.parse((await run('oht', ['--json', 'share', join(data, 'inbox')], { env })).stdout) as { link: string }
  assert.match(shared.link, /^oht:\/\//)
  const ls = JSON.parse((await run('oht', ['--json', 'ls'], { env })).stdout) as { shares: Array<{ name: string }> }
  assert.deepEqual(ls.shares.map(s => s.name), ['inbox'])
  // `docker stop` sends SIGTERM.
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.output())
})
