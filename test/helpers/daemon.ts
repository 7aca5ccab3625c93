// Real `oht daemon` processes on 127.0.0.1 for swarm tests: started with --json, ready when they
// print their listening line, stopped (or SIGKILLed) by the test; never outlive it.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { NODE_BIN, OHT_BIN, ohtJson, REPO } from './cli.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import type { ApiEvent } from '../../src/node/api/protocol.ts'

export interface Daemon {
  proc: ChildProcess
  dataDir: string
  address: string
  nodeId: string
  stderr: () => string
  stop: () => Promise<void>
  kill: () => Promise<void>
  rssKiB: () => Promise<number>
}

const running = new Set<ChildProcess>()
process.on('exit', () => { for (const p of running) p.kill('SIGKILL') })

/**
 * `extra` are global options; unless they choose a transport the daemon runs on TCP at a free
 * port of 127.0.0.1. Tor daemons take longer to start (publishing the onion): `startTimeoutMs`.
 */
export async function startDaemon (dataDir: string, extra: readonly string[] = [], startTimeoutMs = 60_000, daemonArgs: readonly string[] = []): Promise<Daemon> {
  const transport = extra.includes('--transport') ? [] : ['--transport', 'tcp', '--listen', '127.0.0.1:0']
  const proc = spawn(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, ...transport, '--json', ...extra, 'daemon', ...daemonArgs], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OHT_PASSPHRASE: undefined, OHT_HOME: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined }
  })
  running.add(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<void>(resolve => { proc.once('exit', () => { running.delete(proc); resolve() }) })
  const line = await new Promise<string>((resolve, reject) => {
    // A deadline that only catches hangs; a daemon that missed it is killed, not left running.
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`daemon did not start in ${startTimeoutMs / 1000} s: ${err}`)) }, startTimeoutMs)
    const rl = createInterface({ input: proc.stdout! })
    rl.once('line', l => { clearTimeout(timer); resolve(l) })
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`daemon exited with ${code}: ${err}`)) })
  })
  const info = JSON.parse(line) as { address: string, nodeId: string }
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (proc.exitCode != null || proc.signalCode != null) return
    proc.kill(signal)
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  return {
    proc,
    dataDir,
    address: info.address,
    nodeId: info.nodeId,
    stderr: () => err,
    stop: async () => { await stop('SIGTERM') },
    kill: async () => { await stop('SIGKILL') },
    rssKiB: async () => {
      const status = await readFile(`/proc/${proc.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    }
  }
}

/** Subscribes to the daemon's WebSocket events; `event` resolves with the first that `match`es. */
export async function nextEvent (daemon: Daemon, match: (e: ApiEvent) => boolean): Promise<{ event: Promise<ApiEvent>, close: () => void }> {
  const client = new DaemonClient(join(daemon.dataDir, 'api.sock'))
  let resolve: (e: ApiEvent) => void = () => {}
  const event = new Promise<ApiEvent>(r => { resolve = r })
  const sub = client.events(e => { if (match(e)) resolve(e) })
  await sub.ready
  return { event, close: sub.close }
}

/** An account created in each `<dir>/<name>` (labelled with the name): their ids by name. */
export async function createAccounts<N extends string> (dir: string, names: readonly N[]): Promise<Record<N, string>> {
  const ids = {} as Record<N, string>
  for (const name of names) ids[name] = (await ohtJson<{ id: string }>(join(dir, name), ['account', 'create', '--label', name])).value.id
  return ids
}

/**
 * A daemon on each `<dir>/<name>` (which createAccounts may have made), the first the DHT
 * bootstrap of the others; `daemonArgs[name]` adds options of `oht daemon`. Each is put in `into`
 * as it starts, so the test's cleanup stops the ones started before a start that failed.
 */
export async function startNamedDaemons<N extends string> (dir: string, names: readonly N[], into: Partial<Record<N, Daemon>>, daemonArgs: Partial<Record<N, readonly string[]>> = {}): Promise<Record<N, Daemon>> {
  let first: Daemon | undefined
  for (const name of names) {
    const d = await startDaemon(join(dir, name), first == null ? [] : ['--bootstrap', first.address], 60_000, daemonArgs[name] ?? [])
    first ??= d
    into[name] = d
  }
  return into as Record<N, Daemon>
}
