// DHT benchmark: N simulated nodes (real DhtNode code on the memory transport), Tor-like
// latencies, lookups of provider records at several churn levels. Prints a markdown table.
//
//   node bench/dht.ts [--nodes 10000] [--topics 200] [--lookups 400] [--scale 50]
//                     [--churn 0,0.1,0.3] [--concurrency 24] [--join-concurrency 48] [--handshake]
//
// Time is simulated: the DHT's clock and the network's delays run `scale` times faster than real
// time (src/dht/clock.ts scaledClock), and durations are reported in Tor milliseconds, i.e. real
// milliseconds × scale. CPU time is multiplied too, so the host should be otherwise idle; the
// table reports the host's load average at the start for that reason.
// Churn f: after the topics are provided, a fraction f of the nodes (never the providers) leave
// for good and as many new nodes join, each bootstrapping for real through one random live node;
// stale entries of the leavers stay in everyone's routing tables, as after an abrupt churn.
// Each churn level is a fresh network. Identities are pre-authenticated unless --handshake.
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { DhtSimulation, TOR_LATENCY, summarize, type LookupSummary } from '../src/dht/sim/simulation.ts'

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '10000' },
    topics: { type: 'string', default: '200' },
    lookups: { type: 'string', default: '400' },
    scale: { type: 'string', default: '50' },
    churn: { type: 'string', default: '0,0.1,0.3' },
    concurrency: { type: 'string', default: '24' },
    'join-concurrency': { type: 'string', default: '48' },
    handshake: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' }
  }
})
const nodes = Number(values.nodes)
const topics = Number(values.topics)
const lookups = Number(values.lookups)
const scale = Number(values.scale)
const concurrency = Number(values.concurrency)
const churns = values.churn.split(',').map(Number)

interface Row { churn: number, summary: LookupSummary, setupSeconds: number, realSeconds: number, stored: number }
const rows: Row[] = []
const load = loadavg()[0]!.toFixed(1)

for (const churn of churns) {
  const started = performance.now()
  const sim = new DhtSimulation({ scale, seed: Number(values.seed), preAuthenticated: !values.handshake, latency: TOR_LATENCY })
  await sim.populate(nodes)
  const items = await sim.provideRandom(topics, concurrency)
  const stored = items.reduce((sum, i) => sum + i.stored, 0) / items.length
  if (churn > 0) await sim.churn(churn, new Set(items.map(i => i.provider.name)), Number(values['join-concurrency']))
  const setupSeconds = (performance.now() - started) / 1000
  const queries = Array.from({ length: lookups }, (_, i) => items[i % items.length]!)
  const measured = performance.now()
  const { samples } = await sim.lookupProviders(queries, concurrency)
  const realSeconds = (performance.now() - measured) / 1000
  const summary = summarize(samples)
  rows.push({ churn, summary, setupSeconds, realSeconds, stored })
  process.stderr.write(`churn ${churn}: done (setup ${setupSeconds.toFixed(0)} s, lookups ${realSeconds.toFixed(0)} s real) ${JSON.stringify(summary)}\n`)
  await sim.stop()
}

const s = (ms: number): string => (ms / 1000).toFixed(1)
console.log(`DHT lookups of provider records, ${nodes} simulated nodes, k=20, 3 disjoint paths × 2 in flight;`)
console.log(`Tor-like latency (connect ${TOR_LATENCY.connectMs.map(x => x / 1000).join('–')} s, round trip ${TOR_LATENCY.rttMs.map(x => x / 1000).join('–')} s), simulated time at ${scale}× (load average ${load} at start); ${values.handshake ? 'real handshake' : 'pre-authenticated streams'}.`)
console.log('')
console.log('| churn | lookups | success | median hops | p95 hops | messages/lookup | median time | p95 time |')
console.log('|---|---|---|---|---|---|---|---|')
for (const { churn, summary } of rows) {
  console.log(`| ${(churn * 100).toFixed(0)}% | ${summary.lookups} | ${(summary.successRate * 100).toFixed(2)}% | ${summary.medianHops} | ${summary.p95Hops} | ${summary.meanMessages.toFixed(1)} | ${s(summary.medianMs)} s | ${s(summary.p95Ms)} s |`)
}
console.log('')
console.log(`Provider records reached ${rows.map(r => r.stored.toFixed(1)).join(' / ')} of the k closest nodes on average.`)
