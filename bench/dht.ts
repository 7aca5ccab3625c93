// DHT benchmark: N simulated nodes (real DhtNode code on the memory transport), Tor-like
// latencies, lookups of provider records at several churn levels. Prints a markdown table.
//
//   node bench/dht.ts [--nodes 10000] [--topics 200] [--lookups 400] [--churn 0,0.1,0.3]
//                     [--concurrency 24] [--join-concurrency 48] [--handshake] [--seed 1] [--scale N]
//                     [--latency tor|wan] [--warm-rounds 4]
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
// Each churn level is a fresh network. Identities are pre-authenticated unless --handshake.
// --latency picks a profile of src/dht/sim/latency.ts: `tor` (connect 2–10 s, round trip
// 0.3–1.5 s, the first model) or `wan` (what the WAN Tor testbed measures). --warm-rounds runs
// that many warm-session rounds (the part of a maintenance round that keeps sessions to chosen
// contacts open) on every node after the network is built and again before the lookups; 0: none.
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { VirtualClock } from '../src/dht/clock.ts'
import { compareDistance } from '../src/dht/id.ts'
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
    'warm-rounds': { type: 'string', default: '4' }
  }
})
const nodes = Number(values.nodes)
const topics = Number(values.topics)
const lookups = Number(values.lookups)
const scale = values.scale === undefined ? undefined : Number(values.scale)
const concurrency = Number(values.concurrency)
const churns = values.churn.split(',').map(Number)
const warmRounds = Number(values['warm-rounds'])
const latency = LATENCY_PROFILES[values.latency]
if (latency === undefined) throw new Error(`--latency: one of ${Object.keys(LATENCY_PROFILES).join(', ')}`)

/** With warm sessions a node needs room for MAX_WARM_SESSIONS outbound and about as many inbound. */
const WARM_SIM_CONFIG = { maxOutboundSessions: 56, maxInboundSessions: 128 }

interface Row { churn: number, summary: LookupSummary, setupSeconds: number, realSeconds: number, stored: number, heldAfter: number, replicated: number, warm: number }
const rows: Row[] = []
const load = loadavg().map(l => l.toFixed(1)).join(' ')
const begun = performance.now()

for (const churn of churns) {
  const started = performance.now()
  const sim = new DhtSimulation({ ...(scale === undefined ? {} : { scale }), seed: Number(values.seed), preAuthenticated: !values.handshake, latency, ...(warmRounds > 0 ? { config: WARM_SIM_CONFIG } : {}) })
  await sim.populate(nodes)
  // A running node's maintenance rounds keep sessions to chosen contacts open (warm-sessions.ts);
  // the network starts as if it had run that long, and lookups find what a node would have open.
  if (warmRounds > 0) await sim.warmUp(warmRounds)
  const items = await sim.provideRandom(topics, concurrency)
  const stored = items.reduce((sum, i) => sum + i.stored, 0) / items.length
  if (churn > 0) await sim.churn(churn, new Set(items.map(i => i.provider.name)), Number(values['join-concurrency']))
  // Churn takes simulated minutes to hours; the maintenance rounds meanwhile refill the warm sets.
  const warm = warmRounds > 0 ? (await sim.warmUp(warmRounds)).warm : 0
  // After churn: how many of the k live nodes closest to each topic still hold its record.
  const k = 20
  const live = sim.alive
  const heldAfter = items.reduce((sum, { topic }) => {
    const closest = [...live].sort((a, b) => compareDistance(a.dht.nodeId, b.dht.nodeId, topic)).slice(0, k)
    return sum + closest.filter(n => n.dht.records.getProviders(topic, sim.clock.now()).length > 0).length
  }, 0) / items.length
  // Records pushed to joiners that became one of the k closest to them (store-on-join).
  const replicated = sim.nodes.reduce((sum, n) => sum + n.dht.stats().replicated, 0)
  const setupSeconds = (performance.now() - started) / 1000
  const queries = Array.from({ length: lookups }, (_, i) => items[i % items.length]!)
  const measured = performance.now()
  const { samples } = await sim.lookupProviders(queries, concurrency)
  const realSeconds = (performance.now() - measured) / 1000
  const summary = summarize(samples)
  rows.push({ churn, summary, setupSeconds, realSeconds, stored, heldAfter, replicated, warm })
  const virtual = sim.clock instanceof VirtualClock ? `, ${(sim.clock.elapsed / 60_000).toFixed(0)} simulated min in ${sim.clock.steps} steps` : ''
  process.stderr.write(`churn ${churn}: done (setup ${setupSeconds.toFixed(0)} s, lookups ${realSeconds.toFixed(0)} s real${virtual}) ${JSON.stringify(summary)}\n`)
  await sim.stop()
}

const s = (ms: number): string => (ms / 1000).toFixed(1)
const clockText = scale === undefined ? 'virtual time (discrete-event clock)' : `a scaled real-time clock at ${scale}×`
console.log(`DHT lookups of provider records, ${nodes} simulated nodes, k=20, 3 disjoint paths × 2 in flight;`)
console.log(`latency profile ${values.latency} (connect ${latency.connectMs.map(x => x / 1000).join('–')} s, round trip ${latency.rttMs.map(x => x / 1000).join('–')} s), ${clockText}; ${values.handshake ? 'real handshake' : 'pre-authenticated streams'}.`)
console.log(`Wall time ${((performance.now() - begun) / 60_000).toFixed(1)} min; load average ${load} at start.`)
console.log('')
console.log('| churn | lookups | success | median hops | p95 hops | messages/lookup | median time | p95 time |')
console.log('|---|---|---|---|---|---|---|---|')
for (const { churn, summary } of rows) {
  console.log(`| ${(churn * 100).toFixed(0)}% | ${summary.lookups} | ${(summary.successRate * 100).toFixed(2)}% | ${summary.medianHops} | ${summary.p95Hops} | ${summary.meanMessages.toFixed(1)} | ${s(summary.medianMs)} s | ${s(summary.p95Ms)} s |`)
}
console.log('')
console.log(`Provider records reached ${rows.map(r => r.stored.toFixed(1)).join(' / ')} of the k closest nodes on average when stored;`)
console.log(`after churn, ${rows.map(r => r.heldAfter.toFixed(1)).join(' / ')} of the k closest live nodes held them (${rows.map(r => r.replicated).join(' / ')} records pushed to joiners).`)
console.log(`Warm sessions per node when the lookups began: ${rows.map(r => r.warm.toFixed(1)).join(' / ')} (${warmRounds} warm-session rounds after the network was built, as many again before the lookups).`)
