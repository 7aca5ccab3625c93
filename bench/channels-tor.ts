// Benchmark: a channel post's delivery to every member on the private Tor network
// (src/onion/tor/testnet.ts; by default the WAN testbed, every link into a relay delayed), the
// counterpart of bench/channels.ts (in-memory streams with Tor-like delays). Per N: N real
// `oht daemon`s, each with its own account and onion service; by default each on its own client
// tor, as users run, or --per-tor daemons sharing one (bench/lib/tor-fleet.ts); m1.. join m0's
// DHT. m0 creates a private channel through the API and invites every member (the first
// --writers as writers, the rest as readers); each member joins through the API with m0's
// address (`oht channel join <id> --peer <m0>`), a few at a time. Then one warm-up post
// (reported apart: the first post pays for new circuits), then --posts posts one at a time,
// round-robin over the writers: the time from the API call of `post` to each other member's
// `channel-post` event on its daemon's WebSocket event stream (p50, p95 over all deliveries);
// per post, the channel sessions the daemons dialled (their `oht:net` debug lines) and the onion
// streams they opened (tor's STREAM events: channel sessions plus any DHT request in the same
// window); the CPU and memory of daemons and tors. Target (issue 20): delivery p95 ≤ 5 s. It
// reports figures; it asserts nothing. Every wait has a deadline; the daemons and the network
// are stopped in `finally`.
//
//   node bench/channels-tor.ts [--members 5,10,20] [--posts 10] [--writers 3] [--per-tor 1]
//     [--net wan|lan] [--relays N] [--channel-sync 30s] [--deadline-s 60] [--gap-ms 2000]
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { loadavg, tmpdir } from 'node:os'
import { parseArgs } from 'node:util'
import { TorTestNetwork } from '../src/onion/tor/testnet.ts'
import type { TorProcess } from '../src/onion/tor/process.ts'
import { DaemonClient, type EventSubscription } from '../src/node/api/client.ts'
import { ChannelsApiClient } from '../src/node/api/channels-client.ts'
import { pool } from '../src/dht/sim/simulation.ts'
import { countOnionStreams, ensureClientTors, fleetCpuSeconds, fleetRssMiB, startFleet, type FleetMember } from './lib/tor-fleet.ts'
import { machineFacts } from './lib/machine.ts'
import { machineBusySeconds } from './lib/measure.ts'
import { quantile, within } from './lib/stats.ts'

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '5,10,20' },
    posts: { type: 'string', default: '10' },
    writers: { type: 'string', default: '3' },
    'per-tor': { type: 'string', default: '1' },
    net: { type: 'string', default: 'wan' },
    'channel-sync': { type: 'string' },
    'deadline-s': { type: 'string', default: '60' },
    'gap-ms': { type: 'string', default: '2000' },
    relays: { type: 'string' }
  }
})
if (values.net !== 'lan' && values.net !== 'wan') throw new Error('--net is lan or wan')
const net = values.net
const sizes = values.members.split(',').map(Number)
const posts = Number(values.posts)
const writers = Number(values.writers)
const perTor = Number(values['per-tor'])
const deadlineMs = Number(values['deadline-s']) * 1000
const gapMs = Number(values['gap-ms'])
const relays = Number(values.relays ?? (net === 'wan' ? 4 : 0))
if (sizes.some(n => !(n >= 2)) || !(posts >= 1) || !(writers >= 1) || !(perTor >= 1)) throw new Error('--members (each ≥ 2), --posts, --writers and --per-tor are positive numbers')
const daemonArgs = values['channel-sync'] != null ? ['--channel-sync', values['channel-sync']] : []
const facts = machineFacts({})
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Member extends FleetMember { channels: ChannelsApiClient, events: EventSubscription }
interface PostResult { seconds: number[], missed: number, streams: number, sessions: number }
interface SizeResult {
  n: number
  tors: number
  setup: { tors: number, accounts: number, daemons: number, channel: number, joins: number }
  warmup: PostResult
  measured: PostResult[]
  busy: number | undefined
  /** CPU seconds per measured post: the daemons, their client tors. */
  cpu: { daemons: number, tors: number }
  load1: number
  rss: { daemons: number, tors: number }
}

/** Arrival time (performance.now()) of each post text at each member, fed by the event streams. */
const arrivals = new Map<string, Map<string, number>>()
let arrived: () => void = () => {}

/** Channel sessions a daemon dialled, from its `oht:net` debug lines (`dial <address> (channel)`). */
const channelDials = (stderr: string): number => stderr.match(/ dial \S+ \(channel\)/g)?.length ?? 0

/** One post by `poster`: seconds from the API call to each other member's event, until all or the deadline. */
async function timedPost (members: Member[], channel: string, poster: Member, text: string, streams: () => number): Promise<PostResult> {
  const others = members.filter(m => m !== poster)
  const at = new Map<string, number>()
  arrivals.set(text, at)
  const streams0 = streams()
  const stderr0 = members.map(m => m.daemon.stderr().length)
  const t0 = performance.now()
  const all = new Promise<void>(resolve => { arrived = () => { if (others.every(m => at.has(m.name))) resolve() } })
  await within(poster.channels.post(channel, { text }), deadlineMs, `post by ${poster.name}`)
  await within(all, deadlineMs, text).catch(() => {})
  // Let the pushes and pass-ons this post started finish before the next one (and count their streams).
  await sleep(gapMs)
  const seconds = others.flatMap(m => { const t = at.get(m.name); return t != null ? [(t - t0) / 1000] : [] })
  const sessions = members.reduce((a, m, i) => a + channelDials(m.daemon.stderr().slice(stderr0[i])), 0)
  return { seconds, missed: others.length - seconds.length, streams: streams() - streams0, sessions }
}

async function runSize (dir: string, network: TorTestNetwork, tors: TorProcess[], n: number, started: FleetMember[]): Promise<SizeResult> {
  const torCount = Math.ceil(n / perTor)
  const torsSeconds = await ensureClientTors(network, tors, torCount)
  const { accountsSeconds, daemonsSeconds } = await startFleet(dir, tors, n, { perTor, daemonArgs }, started)
  const members: Member[] = started.map(m => {
    const api = new DaemonClient(join(m.daemon.dataDir, 'api.sock'))
    const events = api.events(e => {
      if (e.type !== 'channel-post' || e.post.text == null) return
      const at = arrivals.get(e.post.text)
      if (at != null && !at.has(m.name)) { at.set(m.name, performance.now()); arrived() }
    })
    return { ...m, channels: new ChannelsApiClient(api), events }
  })
  try {
    await within(Promise.all(members.map(async m => { await m.events.ready })), 30_000, 'event streams')
    const [owner, ...rest] = members
    const t0 = performance.now()
    const channel = (await within(owner!.channels.create(`bench-${n}`, { private: true }), deadlineMs, 'channel create')).id
    for (const [i, m] of rest.entries()) await within(owner!.channels.invite(channel, m.account, i + 1 < writers ? 'writer' : 'reader'), deadlineMs, `invite ${m.name}`)
    const t1 = performance.now()
    await pool(rest, 4, async m => await within(m.channels.join(channel, [owner!.daemon.address]), 240_000, `join of ${m.name}`))
    const t2 = performance.now()

    const streams = await countOnionStreams(tors.slice(0, torCount))
    try {
      const posters = members.slice(0, Math.min(writers, n))
      const warmup = await timedPost(members, channel, posters[0]!, `warm-up of ${n}`, streams.count)
      const busy0 = machineBusySeconds()
      const cpu0 = await fleetCpuSeconds(members)
      const p0 = performance.now()
      const measured: PostResult[] = []
      for (let p = 0; p < posts; p++) measured.push(await timedPost(members, channel, posters[p % posters.length]!, `post ${p} of ${n}`, streams.count))
      const busy1 = machineBusySeconds()
      const cpu1 = await fleetCpuSeconds(members)
      const busy = busy0 != null && busy1 != null ? (busy1 - busy0) / ((performance.now() - p0) / 1000 * facts.logicalCpus) : undefined
      return {
        n,
        tors: torCount,
        setup: { tors: torsSeconds, accounts: accountsSeconds, daemons: daemonsSeconds, channel: (t1 - t0) / 1000, joins: (t2 - t1) / 1000 },
        warmup,
        measured,
        busy,
        cpu: { daemons: (cpu1.daemons - cpu0.daemons) / posts, tors: (cpu1.tors - cpu0.tors) / posts },
        load1: loadavg()[0]!,
        rss: await fleetRssMiB(members)
      }
    } finally {
      streams.stop()
    }
  } finally {
    for (const m of members) m.events.close()
    arrivals.clear()
  }
}

const f1 = (x: number): string => Number.isNaN(x) ? '–' : x.toFixed(1)
const f2 = (x: number): string => Number.isNaN(x) ? '–' : x.toFixed(2)
const max = (xs: number[]): number => xs.length === 0 ? Number.NaN : Math.max(...xs)

function row (r: SizeResult): string {
  const all = r.measured.flatMap(p => p.seconds)
  const s = r.setup
  const total = s.tors + s.accounts + s.daemons + s.channel + s.joins
  const perPost = (f: (p: PostResult) => number): string => f1(r.measured.reduce((a, p) => a + f(p), 0) / r.measured.length)
  return `| ${r.n} | ${r.tors} | ${r.measured.length} | ${f2(quantile(all, 0.5))} | ${f2(quantile(all, 0.95))} | ${f2(max(all))} | ${r.measured.reduce((a, p) => a + p.missed, 0)} | ${f2(max(r.warmup.seconds))} | ${perPost(p => p.sessions)} | ${perPost(p => p.streams)} | ${f1(total)} (${[s.tors, s.accounts, s.daemons, s.channel, s.joins].map(f1).join(' / ')}) | ${f2(r.cpu.daemons)} / ${f2(r.cpu.tors)} | ${r.busy != null ? `${(r.busy * 100).toFixed(0)} %` : '–'} | ${r.load1.toFixed(1)} | ${r.rss.daemons.toFixed(0)} / ${r.rss.tors.toFixed(0)} |`
}

const dir = await mkdtemp(join(tmpdir(), 'oht-bench-chantor-'))
const tors: TorProcess[] = []
const loadBefore = loadavg()
// The daemons log their dials (oht:net), which is how channel sessions per post are counted.
process.env.DEBUG = [process.env.DEBUG, 'oht:net'].filter(d => d != null && d !== '').join(',')
const started: FleetMember[] = []
const results: SizeResult[] = []
const bootStart = performance.now()
const network = await TorTestNetwork.start({ net, relays })
const bootSeconds = (performance.now() - bootStart) / 1000
try {
  await ensureClientTors(network, tors, 2)
  const rtt = await network.measureCircuitRtt({ clients: [tors[0]!, tors[1]!] })
  // Each row is printed when its N is done, so a run cut short keeps what it measured.
  console.log(`\n## channels on the private Tor network (${net}, ${4 + relays} relays): post delivery to every member — ${new Date().toISOString()}\n`)
  console.log(`- testbed: boot ${f1(bootSeconds)} s; circuit round trip (echo over an onion stream) p50 ${rtt.p50Ms.toFixed(0)} ms; ${perTor} daemons per client tor; ${posts} posts round-robin over ${writers} writers, one at a time, ${gapMs} ms apart; daemon sync round ${values['channel-sync'] ?? '30s (default)'}`)
  console.log(`- machine: ${facts.cpuModel}, ${facts.logicalCpus} logical CPUs${facts.virtualized ? ' (virtualized)' : ''}, ${facts.ramGiB} GiB RAM, Node ${facts.node}, ${facts.os}; load average before the run ${loadBefore.map(l => l.toFixed(1)).join(' / ')}\n`)
  console.log('| members | client tors | posts | delivery p50 s | p95 s | max s | missed | first post max s | channel sessions per post | onion streams per post | set-up s (tors / accounts / daemons / channel+invites / joins) | CPU s per post (gap included): daemons / tors | machine CPU busy | load 1 min | RSS daemons / tors MiB |')
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---|')
  for (const n of sizes) {
    try {
      const r = await runSize(join(dir, `n${n}`), network, tors, n, started)
      results.push(r)
      console.log(row(r))
    } catch (err) {
      console.log(`| ${n} | did not run to the end: ${(err as Error).message.split('\n')[0]} |`)
    } finally {
      await Promise.all(started.splice(0).map(async m => { await m.daemon.stop() }))
    }
  }
} finally {
  await Promise.all(started.map(async m => { await m.daemon.stop() }))
  await network.stop()
  await rm(dir, { recursive: true, force: true })
}

console.log('')
for (const r of results) {
  const p95 = quantile(r.measured.flatMap(p => p.seconds), 0.95)
  const missed = r.measured.reduce((a, p) => a + p.missed, 0)
  console.log(`- N = ${r.n}: target p95 ≤ 5 s ${missed === 0 && p95 <= 5 ? '**met**' : '**missed**'} (p95 ${f2(p95)} s${missed > 0 ? `, ${missed} deliveries not seen within ${deadlineMs / 1000} s` : ''})`)
}
process.exit(0)
