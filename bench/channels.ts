// Benchmark: a channel post's delivery to every member (src/people/channels), N members in one
// process over in-memory stream pairs that carry Tor-like delays: every byte waits a one-way delay
// (half a circuit round trip, ±20 % jitter, order kept) and every new session waits a dial delay
// first (a stream on a circuit the node already has: one round trip; --dial-ms for a cold onion
// dial). Real Channels code, real signing and sealing, real sync protocol with a daemon's sync
// rounds (every 30 s); no DHT (members join through the owner's address) and no tor. The same
// measure with real daemons on the private Tor network: bench/channels-tor.ts.
//
//   node bench/channels.ts [--members 5,10,20,50] [--posts 10] [--rtt-ms 700] [--dial-ms <rtt>]
//
// A private channel: the owner invites every member as a writer, each joins through the owner.
// Then --posts posts, each by a random member, one at a time: the time from `post()` to each
// other member's `channel-post` event (p50, p95 over all deliveries), and the sessions dialled
// per post (messages per post: every session carries a heads exchange and the entries).
// Target (issue 20): delivery p95 ≤ 5 s. It reports figures; it asserts nothing.
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { Duplex, duplexPair } from 'node:stream'
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { accountIdOf } from '../src/node/identity/account-keys.ts'
import { MemoryBackend, SealedDb } from '../src/store/index.ts'
import type { HandshakeResult } from '../src/onion/index.ts'
import { Channels, CHANNEL_PROTOCOL, type ChannelEvent, type ChannelNetwork } from '../src/people/channels/index.ts'
import { quantile } from './lib/stats.ts'

const { values } = parseArgs({ options: { members: { type: 'string', default: '5,10,20,50' }, posts: { type: 'string', default: '10' }, 'rtt-ms': { type: 'string', default: '700' }, 'dial-ms': { type: 'string' } } })
const sizes = values.members.split(',').map(Number)
const posts = Number(values.posts)
const rttMs = Number(values['rtt-ms'])
const dialMs = Number(values['dial-ms'] ?? rttMs)
const jittered = (ms: number): number => ms * (0.8 + Math.random() * 0.4)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** `inner` with every write delivered a one-way delay later, in order. */
function delayed (inner: Duplex): Duplex {
  // One queue per direction, drained by one timer: timers of different durations may fire out of
  // order, bytes may not.
  let last = 0
  const queue: Array<{ at: number, fn: () => void }> = []
  let timer: NodeJS.Timeout | undefined
  const pump = (): void => {
    timer = undefined
    while (queue.length > 0 && queue[0]!.at <= Date.now()) queue.shift()!.fn()
    if (queue.length > 0) timer = setTimeout(pump, queue[0]!.at - Date.now())
  }
  const later = (fn: () => void): void => {
    const at = Math.max(Date.now() + jittered(rttMs / 2), last)
    last = at
    queue.push({ at, fn })
    timer ??= setTimeout(pump, at - Date.now())
  }
  const outer = new Duplex({
    write (chunk: Buffer, _enc, cb) { later(() => { if (!inner.destroyed) inner.write(chunk) }); cb() },
    final (cb) { later(() => { if (!inner.destroyed) inner.end() }); cb() },
    read () {},
    destroy (err, cb) { later(() => { inner.destroy() }); cb(err) }
  })
  inner.on('data', (d: Buffer) => { outer.push(d) })
  inner.on('end', () => { outer.push(null) })
  inner.on('close', () => { outer.destroy() })
  inner.on('error', () => {})
  return outer
}

let dials = 0
const hub = new Map<string, (s: HandshakeResult) => void>()
function network (address: string): ChannelNetwork {
  return {
    address,
    registerProtocol: (protocol, handler) => { if (protocol === CHANNEL_PROTOCOL) hub.set(address, handler) },
    dialProtocol: async (to, protocol) => {
      dials++
      await sleep(jittered(dialMs))
      const answer = hub.get(to)
      if (answer == null) throw new Error(`${to} is offline`)
      const [a, b] = duplexPair()
      answer({ remoteNodeId: '00', remotePublicKey: new Uint8Array(32), protocol, stream: delayed(b) })
      return { remoteNodeId: '00', remotePublicKey: new Uint8Array(32), protocol, stream: delayed(a) }
    }
  }
}

interface Member { channels: Channels, account: string, address: string }
function member (i: number): Member {
  const { privateKey } = generateKeyPairSync('ed25519')
  const account = { id: accountIdOf(privateKey), privateKey }
  const address = `mem:m${i}-${randomBytes(4).toString('hex')}`
  return { channels: new Channels({ account, db: new SealedDb(new MemoryBackend(), randomBytes(32)), network: network(address) }), account: account.id, address }
}

console.log(`\n## channels: post delivery to every member, in-memory streams with Tor-like delays — ${new Date().toISOString()}\n`)
console.log(`- circuit round trip ${rttMs} ms (±20 %), a new session waits ${dialMs} ms first; load average ${loadavg().map(l => l.toFixed(1)).join(' / ')}\n`)
console.log('| members | posts | delivery p50 s | p95 s | max s | sessions per post | set-up s |')
console.log('|---:|---:|---:|---:|---:|---:|---:|')
for (const n of sizes) {
  const setupStart = performance.now()
  const members = Array.from({ length: n }, (_, i) => member(i))
  const owner = members[0]!
  const c = await owner.channels.create('bench', { private: true })
  for (const m of members.slice(1)) await owner.channels.invite(c.id, m.account, 'writer')
  for (const m of members.slice(1)) await m.channels.join(c.id, { peers: [owner.address] })
  // As in a daemon: a sync round with known members every 30 s besides the pushes.
  for (const m of members) m.channels.start()
  const setup = (performance.now() - setupStart) / 1000
  const deliveries: number[] = []
  const sessions: number[] = []
  for (let p = 0; p < posts; p++) {
    const poster = members[Math.floor(Math.random() * n)]!
    const text = `post ${p} of ${n}`
    const t0 = performance.now()
    const arrived = members.filter(m => m !== poster).map(async m => await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => { m.channels.off('event', on); reject(new Error(`${text} did not reach a member in 120 s`)) }, 120_000)
      const on = (e: ChannelEvent): void => {
        if (e.type === 'channel-post' && e.post.text === text) { clearTimeout(timer); m.channels.off('event', on); resolve((performance.now() - t0) / 1000) }
      }
      m.channels.on('event', on)
    }))
    const before = dials
    await poster.channels.post(c.id, { k: 'post', text })
    deliveries.push(...await Promise.all(arrived))
    // Let the last pushes and pass-ons settle before counting this post's sessions.
    await sleep(3 * rttMs)
    sessions.push(dials - before)
  }
  console.log(`| ${n} | ${posts} | ${quantile(deliveries, 0.5).toFixed(2)} | ${quantile(deliveries, 0.95).toFixed(2)} | ${Math.max(...deliveries).toFixed(2)} | ${(sessions.reduce((a, b) => a + b, 0) / sessions.length).toFixed(1)} | ${setup.toFixed(1)} |`)
  for (const m of members) m.channels.close()
  hub.clear()
}
process.exit(0)
