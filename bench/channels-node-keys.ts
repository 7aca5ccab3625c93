// Benchmark: what node keys (src/people/channels/node-key.ts) cost a member: checking N entries
// of one writer signed by its account (as before node keys) against N signed by node keys that
// rotate every --per-key entries, when they arrive (readEntry, cold) and in the whole view
// (buildView, the entries already read once). Also the cost of making one node key (key pair and
// account signature). Real code, one process; it reports figures and asserts nothing.
//
//   node bench/channels-node-keys.ts [--entries 5000] [--per-key 100] [--runs 3]
import { generateKeyPairSync } from 'node:crypto'
import { parseArgs } from 'node:util'
import { accountIdOf } from '../src/node/identity/account-keys.ts'
import { buildView, createChannel, DEFAULT_POLICY, entryId, newNodeKey, readEntry, signerOf, writeContent, writeGrant, type ChannelView, type Writer } from '../src/people/channels/index.ts'

const { values } = parseArgs({ options: { entries: { type: 'string', default: '5000' }, 'per-key': { type: 'string', default: '100' }, runs: { type: 'string', default: '3' } } })
const N = Number(values.entries)
const PER_KEY = Number(values['per-key'])
const RUNS = Number(values.runs)
const T0 = 1_800_000_000_000

const account = (): Writer => { const { privateKey } = generateKeyPairSync('ed25519'); return { id: accountIdOf(privateKey), privateKey } }

/** A public channel and N posts of one writer, signed by its account or by node keys. */
function log (nodeKeys: boolean): { texts: string[], view: (t: string[]) => ChannelView } {
  const owner = account()
  const bob = account()
  const c = createChannel(owner, { name: 'bench', private: false, policy: DEFAULT_POLICY, now: T0 })
  const texts = [...c.entries]
  texts.push(writeGrant(buildView(c.descriptor, texts, { account: owner, now: T0 }), owner, bob.id, 'writer', { now: T0 + 1 }))
  let v = buildView(c.descriptor, texts, { account: bob, now: T0 + 2 })
  for (let i = 0; i < N; i++) {
    const at = T0 + 10 + i * 60_000
    if (nodeKeys && i % PER_KEY === 0) bob.node = signerOf(newNodeKey(bob, c.id, at))
    const t = writeContent(v, bob, { k: 'post', text: `post ${i}` }, at)
    texts.push(t)
    // The writer's head moves on without a full view per post, and without reading the entry
    // (that would fill readEntry's cache: the measure below reads them cold).
    v = { ...v, heads: { ...v.heads, [bob.id]: { seq: i, id: entryId(t), at } } }
  }
  return { texts, view: t => buildView(c.descriptor, t, { now: T0 + 1000 * 86_400_000 }) }
}

const ms = (f: () => void): number => { const t = performance.now(); f(); return performance.now() - t }
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

const rows: string[] = []
for (const nodeKeys of [false, true]) {
  const read: number[] = []
  const view: number[] = []
  for (let r = 0; r < RUNS; r++) {
    const l = log(nodeKeys) // fresh texts: readEntry's cache is cold for them
    read.push(ms(() => { for (const t of l.texts) if ('fault' in readEntry(t)) throw new Error('refused') }))
    view.push(ms(() => { if (l.view(l.texts).refused.length !== 0) throw new Error('refused') }))
  }
  rows.push(`| ${nodeKeys ? `node keys (one per ${PER_KEY} entries)` : 'account-signed'} | ${N} | ${median(read).toFixed(0)} ms (${(median(read) * 1000 / N).toFixed(0)} µs/entry) | ${median(view).toFixed(0)} ms |`)
}
const w = account()
const make: number[] = []
for (let r = 0; r < 200; r++) make.push(ms(() => newNodeKey(w, 'a'.repeat(64), T0)))
console.log(`entries of one writer, median of ${RUNS} runs; load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`)
console.log('| signed by | entries | readEntry, cold | buildView, warm |\n|---|---:|---:|---:|')
for (const r of rows) console.log(r)
console.log(`\nmaking one node key (Ed25519 key pair + account signature): median ${(median(make) * 1000).toFixed(0)} µs over 200`)
