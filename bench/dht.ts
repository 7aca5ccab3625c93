// DHT benchmark: N simulated nodes (real DhtNode code on the memory transport), Tor-like
// latencies, lookups of provider records at several churn levels. Prints a markdown table.
//
//   node bench/dht.ts [--nodes 10000] [--topics 200] [--lookups 400] [--churn 0,0.1,0.3]
//                     [--concurrency 24] [--join-concurrency 48] [--handshake] [--seed 1] [--scale N]
//                     [--latency tor|wan] [--warm-rounds 4]
//                     [--adversaries 0.1,0.2,0.3] [--eclipse 20] [--paths disjoint,single]
//                     [--forward-hops 3]
//
// Time is virtual (src/dht/clock.ts VirtualClock): the DHT's timers and the network's delays run
// on a discrete-event clock that jumps to the next timer whenever the process is idle, so a
// simulated second costs no real time and the machine's load cannot turn into timeouts; durations
// are simulated Tor milliseconds. `--scale N` runs on the old scaled real-time clock instead
// (timers and delays N times faster than Tor; CPU stalls are then multiplied by N too).
// Churn f: after the topics are provided, a fraction f of the nodes (never the providers) leave
// for good and as many new nodes join, each bootstrapping for real through one random live node;
// stale entries of the leavers stay in everyone's routing tables, as after an abrupt churn.
// Success: the lookup (stopping at the first valid provider) finds the topic's provider.
// Each row is a fresh network. Identities are pre-authenticated unless --handshake. Seeded, not
// real: the first N nodes' routing tables (up to k random live nodes per bucket, from global
// knowledge, instead of N joins); real: every dial, request, maintenance round and lookup after
// that, and the whole bootstrap of every churn joiner. Progress goes to stderr.
// --latency picks a profile of src/dht/sim/latency.ts: `tor` (connect 2–10 s, round trip
// 0.3–1.5 s, the first model) or `wan` (what the WAN Tor testbed measures). --warm-rounds runs
// that many maintenance rounds on every node, 5 simulated minutes apart (DhtNode.maintain without
// bucket refreshes: sessions idle past their limit are closed, those to the chosen warm contacts
// kept open or dialed), after the network is built and again before the lookups; 0: none.
// --adversaries a,b: for each fraction, that share of the nodes is adversarial, in equal thirds
// (src/dht/sim/adversaries.ts): droppers (never answer), forgers (forged records, stores kept by
// nobody) and poisoners (forgers that route every lookup to the attacker's own nodes); and
// --eclipse n more poisoners (default k, 0: none) with ids ground to share ceil(log2 N) leading
// bits with the first topic, before it is provided. Each level runs with each lookup shape of
// --paths: `disjoint` (3 paths × 2 in flight, the default config) and `single` (one path with
// as many in flight: plain Kademlia). Churn defaults to 0 with --adversaries.
// --forward-hops: relays a get-providers may take over open sessions (src/dht/relay.ts; default
// MAX_FORWARD_HOPS, 0: none, the lookup before relays).
//
// The process needs more heap than Node's default for large networks: it re-runs itself with
// --max-old-space-size sized to the network (HEAP_MB_PER_NODE) unless it was given one.
import { spawnSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import { VirtualClock } from '../src/dht/clock.ts'
import type { DhtConfig } from '../src/dht/config.ts'
import { compareDistance } from '../src/dht/id.ts'
import { ForgingNode } from '../src/dht/sim/adversaries.ts'
import { DhtSimulation, LATENCY_PROFILES, summarize, type LookupSummary } from '../src/dht/sim/simulation.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    topics: { type: 'string', default: '200' },
    lookups: { type: 'string', default: '400' },
    scale: { type: 'string' },
    churn: { type: 'string', default: '0,0.1,0.3' },
    concurrency: { type: 'string', default: '24' },
    'join-concurrency': { type: 'string', default: '48' },
    handshake: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    latency: { type: 'string', default: 'tor' },
    'warm-rounds': { type: 'string', default: '4' },
    adversaries: { type: 'string' },
    eclipse: { type: 'string', default: '20' },
    paths: { type: 'string' },
    'forward-hops': { type: 'string' }
  }
})
const nodes = Number(values.nodes)

/**
 * Heap per simulated node, with room: 2,000 nodes without warm sessions peaked at 2.3 GiB, 3,000
 * with warm sessions held 4 GiB resident while warming up (bench/RESULTS.md "dht"). At most 3/4
 * of the machine's memory is asked for.
 */
const HEAP_MB_PER_NODE = 1.6
const MIN_HEAP_MB = 2048
if (!process.execArgv.some(a => a.startsWith('--max-old-space-size'))) {
  const wanted = Math.min(Math.floor(totalmem() / 2 ** 20 * 0.75), Math.max(MIN_HEAP_MB, Math.ceil(nodes * HEAP_MB_PER_NODE)))
  if (getHeapStatistics().heap_size_limit / 2 ** 20 < wanted) {
    const child = spawnSync(process.execPath, [...process.execArgv, `--max-old-space-size=${wanted}`, ...process.argv.slice(1)], { stdio: 'inherit' })
    process.exit(child.status ?? 1)
  }
}

const topics = Number(values.topics)
const lookups = Number(values.lookups)
const scale = values.scale === undefined ? undefined : Number(values.scale)
const concurrency = Number(values.concurrency)
const adversaryLevels = values.adversaries === undefined ? [0] : values.adversaries.split(',').map(Number)
const churns = values.adversaries !== undefined && !process.argv.includes('--churn') ? [0] : values.churn.split(',').map(Number)
const shapes = (values.paths ?? (values.adversaries === undefined ? 'disjoint' : 'disjoint,single')).split(',')
/** The lookup shapes compared: the default config (3 disjoint paths × 2 in flight), and one path with as many in flight. */
const SHAPES: Record<string, Partial<DhtConfig>> = {
  disjoint: {},
  single: { paths: 1, alphaPerPath: 6, maxPerPath: 12, coldAlphaPerPath: 12, maxColdPerPath: 18 }
}
for (const shape of shapes) if (SHAPES[shape] === undefined) throw new Error(`--paths: one of ${Object.keys(SHAPES).join(', ')}`)
const eclipseCount = values.adversaries === undefined ? 0 : Number(values.eclipse)
const eclipseBits = Math.ceil(Math.log2(nodes))
const warmRounds = Number(values['warm-rounds'])
const latency = LATENCY_PROFILES[values.latency]
if (latency === undefined) throw new Error(`--latency: one of ${Object.keys(LATENCY_PROFILES).join(', ')}`)

/** With warm sessions a node needs room for MAX_WARM_SESSIONS outbound and about as many inbound. */
const WARM_SIM_CONFIG = { maxOutboundSessions: 56, maxInboundSessions: 128 }

interface Row {
  churn: number
  adversaries: number
  shape: string
  summary: LookupSummary
  /** Lookups of the eclipsed topic that found its provider, of those run. */
  eclipse: { found: number, of: number }
  forgedAccepted: number
  setupSeconds: number
  realSeconds: number
  stored: number
  heldAfter: number
  replicated: number
  warm: number
}
const rows: Row[] = []
const load = loadavg().map(l => l.toFixed(1)).join(' ')
const begun = performance.now()
let peakHeapMb = 0
const sampleHeap = (): void => { peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20) }
/** Progress on stderr: a large network takes a while to build. */
const phase = (sim: DhtSimulation, what: string): void => {
  sampleHeap()
  const virtual = sim.clock instanceof VirtualClock ? `, ${(sim.clock.elapsed / 60_000).toFixed(0)} simulated min` : ''
  process.stderr.write(`  ${what}: ${((performance.now() - begun) / 1000).toFixed(0)} s real${virtual}, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`)
}

for (const churn of churns) {
  for (const adversaries of adversaryLevels) {
    for (const shape of shapes) {
      const started = performance.now()
      const config: Partial<DhtConfig> = {
        ...(warmRounds > 0 ? WARM_SIM_CONFIG : {}),
        ...SHAPES[shape],
        ...(values['forward-hops'] === undefined ? {} : { forwardHops: Number(values['forward-hops']) })
      }
      const sim = new DhtSimulation({ ...(scale === undefined ? {} : { scale }), seed: Number(values.seed), preAuthenticated: !values.handshake, latency, config })
      const topicIds = Array.from({ length: topics }, () => sim.randomBytes(32))
      const bad = Math.round(nodes * adversaries)
      const third = Math.floor(bad / 3)
      const eclipse = adversaries > 0 && eclipseCount > 0 ? { topic: topicIds[0]!, count: eclipseCount, bits: eclipseBits } : undefined
      await sim.populate(nodes, { drop: bad - 2 * third, forge: third, poison: third }, eclipse)
      phase(sim, 'populated')
      // A running node's maintenance rounds keep sessions to chosen contacts open (warm-sessions.ts);
      // the network starts as if it had run that long, and lookups find what a node would have open.
      if (warmRounds > 0) { await sim.warmUp(warmRounds); phase(sim, 'warmed up') }
      const items = await sim.provide(topicIds, concurrency)
      phase(sim, 'provided')
      const stored = items.reduce((sum, i) => sum + i.stored, 0) / items.length
      if (churn > 0) { await sim.churn(churn, new Set(items.map(i => i.provider.name)), Number(values['join-concurrency'])); phase(sim, 'churned') }
      // Churn takes simulated minutes to hours; the maintenance rounds meanwhile refill the warm sets.
      const warm = warmRounds > 0 ? (await sim.warmUp(warmRounds)).warm : 0
      phase(sim, 'warmed up again')
      // After churn: how many of the k live honest nodes closest to each topic still hold its record.
      const k = 20
      const live = sim.honestAlive
      const heldAfter = items.reduce((sum, { topic }) => {
        const closest = [...live].sort((a, b) => compareDistance(a.dht.nodeId, b.dht.nodeId, topic)).slice(0, k)
        return sum + closest.filter(n => n.dht.records.getProviders(topic, sim.clock.now()).length > 0).length
      }, 0) / items.length
      // Records pushed to joiners that became one of the k closest to them (store-on-join).
      const replicated = sim.nodes.reduce((sum, n) => sum + n.dht.stats().replicated, 0)
      const setupSeconds = (performance.now() - started) / 1000
      const queries = Array.from({ length: lookups }, (_, i) => items[i % items.length]!)
      const measured = performance.now()
      const { samples, forgedAccepted } = await sim.lookupProviders(queries, concurrency, ForgingNode.forgedKeys)
      sampleHeap()
      const realSeconds = (performance.now() - measured) / 1000
      const summary = summarize(samples)
      const eclipsed = samples.filter((_, i) => i % items.length === 0)
      rows.push({ churn, adversaries, shape, summary, eclipse: { found: eclipsed.filter(x => x.success).length, of: eclipse === undefined ? 0 : eclipsed.length }, forgedAccepted, setupSeconds, realSeconds, stored, heldAfter, replicated, warm })
      const virtual = sim.clock instanceof VirtualClock ? `, ${(sim.clock.elapsed / 60_000).toFixed(0)} simulated min in ${sim.clock.steps} steps` : ''
      process.stderr.write(`churn ${churn}, adversaries ${adversaries}, ${shape}: done (setup ${setupSeconds.toFixed(0)} s, lookups ${realSeconds.toFixed(0)} s real${virtual}) ${JSON.stringify(summary)}\n`)
      await sim.stop()
    }
  }
}

const s = (ms: number): string => (ms / 1000).toFixed(1)
const clockText = scale === undefined ? 'virtual time (discrete-event clock)' : `a scaled real-time clock at ${scale}×`
console.log(`DHT lookups of provider records, ${nodes} simulated nodes, k=20; lookup shapes: disjoint = 3 disjoint paths × 2 in flight, single = 1 path × 6;`)
console.log(`relays per get-providers: ${values['forward-hops'] ?? 'default (3)'}; latency profile ${values.latency} (connect ${latency.connectMs.map(x => x / 1000).join('–')} s, round trip ${latency.rttMs.map(x => x / 1000).join('–')} s), ${clockText}; ${values.handshake ? 'real handshake' : 'pre-authenticated streams'}.`)
console.log(`${new Date().toISOString()}; nproc ${cpus().length}, RAM ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${load} at start; wall time ${((performance.now() - begun) / 60_000).toFixed(1)} min; peak heap ${peakHeapMb.toFixed(0)} MiB of ${(getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)}.`)
if (eclipseCount > 0) console.log(`Eclipse: ${eclipseCount} more poisoners with ids sharing ${eclipseBits} leading bits with the first topic; "eclipsed" = its lookups that found its provider.`)
console.log('')
console.log('| churn | adversaries | paths | lookups | success | median hops | p95 hops | messages/lookup | median time | p95 time | eclipsed found | forged accepted |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|')
for (const r of rows) {
  const { summary } = r
  console.log(`| ${(r.churn * 100).toFixed(0)}% | ${(r.adversaries * 100).toFixed(0)}% | ${r.shape} | ${summary.lookups} | ${(summary.successRate * 100).toFixed(2)}% | ${summary.medianHops} | ${summary.p95Hops} | ${summary.meanMessages.toFixed(1)} | ${s(summary.medianMs)} s | ${s(summary.p95Ms)} s | ${r.eclipse.of === 0 ? '-' : `${r.eclipse.found}/${r.eclipse.of}`} | ${r.forgedAccepted} |`)
}
console.log('')
console.log(`Provider records reached ${rows.map(r => r.stored.toFixed(1)).join(' / ')} of the k closest nodes on average when stored (adversaries acknowledge and drop them);`)
console.log(`after churn, ${rows.map(r => r.heldAfter.toFixed(1)).join(' / ')} of the k closest live honest nodes held them (${rows.map(r => r.replicated).join(' / ')} records pushed to joiners).`)
console.log(`Warm sessions per node when the lookups began: ${rows.map(r => r.warm.toFixed(1)).join(' / ')} (${warmRounds} warm-session rounds after the network was built, as many again before the lookups).`)
