// Many `oht daemon`s on a private Tor network (src/onion/tor/testnet.ts) for benchmarks, one
// client tor per `perTor` daemons: daemons sharing a tor each add their own onion service over
// its control port (ADD_ONION), as test/tor/tor-channels.test.ts does.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { pool } from '../../src/dht/sim/simulation.ts'
import { startDaemon, type Daemon } from '../../test/helpers/daemon.ts'
import { ohtJson } from '../../test/helpers/cli.ts'
import { cpuSeconds, torArgs } from './onion-fetch.ts'

export interface FleetMember {
  name: string
  /** The account the daemon runs for. */
  account: string
  daemon: Daemon
  tor: TorProcess
}

export interface FleetOptions {
  /** Daemons per client tor. */
  perTor: number
  /** Options after `daemon` (e.g. `--channel-sync 5s`). */
  daemonArgs?: string[]
  /** Accounts created and daemons started at once (each start is a Node process and an onion service). */
  concurrency?: number
  /** Bound on one daemon's start (its onion service published). */
  startTimeoutMs?: number
}

/** Adds client tors to `tors` (kept between fleets) until there are `count`; seconds taken. */
export async function ensureClientTors (network: TorTestNetwork, tors: TorProcess[], count: number): Promise<number> {
  const t0 = performance.now()
  const added = await Promise.all(Array.from({ length: Math.max(0, count - tors.length) }, async () => await network.startClient()))
  tors.push(...added)
  return (performance.now() - t0) / 1000
}

/**
 * `n` daemons in `dir`/m<i>, each with its own account, spread over the first ceil(n / perTor) of
 * `tors`; m0 first, the others with `--bootstrap` m0 (they join its DHT, as the tests do). Every
 * daemon started is pushed to `started` at once, so the caller's `finally` stops it even if a
 * later one fails. Seconds for the accounts and for the daemons.
 */
export async function startFleet (dir: string, tors: TorProcess[], n: number, options: FleetOptions, started: FleetMember[]): Promise<{ accountsSeconds: number, daemonsSeconds: number }> {
  const concurrency = options.concurrency ?? 4
  const torCount = Math.ceil(n / options.perTor)
  if (tors.length < torCount) throw new Error(`${n} daemons at ${options.perTor} per tor need ${torCount} client tors, ${tors.length} given`)
  const names = Array.from({ length: n }, (_, i) => `m${i}`)
  const t0 = performance.now()
  const accounts = await pool(names, concurrency, async name =>
    (await ohtJson<{ id: string }>(join(dir, name), ['account', 'create'], { timeoutMs: 120_000 })).value.id)
  const t1 = performance.now()
  const start = async (i: number, extra: string[]): Promise<FleetMember> => {
    const tor = tors[i % torCount]!
    const daemon = await startDaemon(join(dir, names[i]!), [...torArgs(tor), ...extra], options.startTimeoutMs ?? 240_000, options.daemonArgs ?? [])
    const m = { name: names[i]!, account: accounts[i]!, daemon, tor }
    started.push(m)
    return m
  }
  const first = await start(0, [])
  await pool(names.slice(1), concurrency, async (_name, i) => await start(i + 1, ['--bootstrap', first.daemon.address]))
  return { accountsSeconds: (t1 - t0) / 1000, daemonsSeconds: (performance.now() - t1) / 1000 }
}

async function torPid (tor: TorProcess): Promise<number | undefined> {
  try { return Number((await tor.control.getInfo('process/pid')).get('process/pid')) } catch { return undefined }
}

async function rssKiB (pid: number | undefined): Promise<number> {
  try { return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) } catch { return 0 }
}

/** Resident memory of the daemons and of the client tors they use, MiB. */
export async function fleetRssMiB (members: readonly FleetMember[]): Promise<{ daemons: number, tors: number }> {
  const sum = async (pids: Array<number | undefined>): Promise<number> => (await Promise.all(pids.map(rssKiB))).reduce((a, b) => a + b, 0) / 1024
  return { daemons: await sum(members.map(m => m.daemon.proc.pid)), tors: await sum(await Promise.all([...new Set(members.map(m => m.tor))].map(torPid))) }
}

/** CPU seconds (user + system) the daemons and their client tors have used so far. */
export async function fleetCpuSeconds (members: readonly FleetMember[]): Promise<{ daemons: number, tors: number }> {
  const sum = (pids: Array<number | undefined>): number => pids.reduce<number>((a, pid) => a + cpuSeconds(pid), 0)
  return { daemons: sum(members.map(m => m.daemon.proc.pid)), tors: sum(await Promise.all([...new Set(members.map(m => m.tor))].map(torPid))) }
}

/**
 * Counts the onion streams the daemons open through `tors` (tor's STREAM NEW events on our own
 * control connection): every oht session (channel sync, DHT request) is one stream.
 */
export async function countOnionStreams (tors: readonly TorProcess[]): Promise<{ count: () => number, stop: () => void }> {
  let count = 0
  const offs = await Promise.all(tors.map(async tor => {
    const off = tor.control.onEvent(e => {
      if (e.type !== 'other' || e.name !== 'STREAM') return
      const [, , status, , target] = e.text.split(' ')
      if (status === 'NEW' && target?.includes('.onion:') === true) count++
    })
    await tor.control.addEvents('STREAM')
    return off
  }))
  return { count: () => count, stop: () => { for (const off of offs) off() } }
}
