// Network and DHT: /peers /connect /lookup /ping /ftable /successor /predecessor /put /get
// /delete /create /ringcast. The routing-table views are computed here from the table the
// daemon reports (node ids and our own id): Kademlia has no ring, so /successor and
// /predecessor name the known nodes just after and before our id in id order.
import { t } from '../i18n/index.ts'
import type { ConsoleCommand } from './spec.ts'

export const networkCommands: ConsoleCommand[] = [
  {
    name: 'peers',
    args: [],
    help: 'dht.peers.description',
    run: async ctx => {
      const info = await ctx.dht.info()
      ctx.print(t('dht.peers.header', { n: info.peers.length }))
      for (const p of info.peers) ctx.print(`${p.nodeId.slice(0, 16)}  ${p.address}${p.failures > 0 ? `  (${t('dht.peers.failures', { n: p.failures })})` : ''}`)
      const swarms = await ctx.client.peers()
      for (const s of swarms.swarms) {
        if (s.peers.length === 0) continue
        ctx.print(t('console.peers.swarm', { swarm: s.swarm.slice(0, 16), n: s.peers.length }), 'dim')
      }
    }
  },
  {
    name: 'connect',
    args: [{ name: 'address', source: 'peer' }],
    help: 'console.help.connect',
    run: async (ctx, { args }) => {
      const r = await ctx.api.connect(args[0]!)
      ctx.print(t('console.connect.done', { nodeId: r.nodeId.slice(0, 16), address: r.address, rtt: r.rttMs, n: r.tableSize }), 'ok')
    }
  },
  {
    name: 'lookup',
    args: [{ name: 'node id', source: 'peer' }],
    help: 'console.help.lookup',
    run: async (ctx, { args }) => {
      const r = await ctx.api.lookup(args[0]!)
      if (r.found) ctx.print(t('console.lookup.found', { nodeId: r.nodeId.slice(0, 16), address: r.address ?? '?', hops: r.hops, ms: r.durationMs }), 'ok')
      else {
        ctx.print(t('console.lookup.notFound', { nodeId: r.nodeId.slice(0, 16), hops: r.hops, ms: r.durationMs }), 'warn')
        for (const c of r.closest) ctx.print(`  ${c.nodeId.slice(0, 16)}  ${c.address}`, 'dim')
      }
    }
  },
  {
    name: 'ping',
    args: [{ name: 'address|node id', source: 'peer' }],
    options: [{ name: 'count', value: true }],
    help: 'console.help.ping',
    run: async (ctx, { args, options }) => {
      const count = typeof options.count === 'string' ? Number(options.count) : 4
      if (!Number.isInteger(count) || count < 1 || count > 20) throw new Error(t('console.ping.badCount'))
      ctx.print(t('console.ping.start', { target: args[0]!, count }), 'dim')
      const r = await ctx.api.ping(args[0]!, count)
      for (const s of r.samples) ctx.print(s.rttMs != null ? t('console.ping.sample', { seq: s.seq, nodeId: (r.nodeId ?? '?').slice(0, 12), ms: s.rttMs }) : t('console.ping.lost', { seq: s.seq, reason: s.error ?? '?' }), s.rttMs != null ? 'normal' : 'warn')
      const ok = r.samples.flatMap(s => s.rttMs != null ? [s.rttMs] : [])
      if (ok.length === 0) throw new Error(t('console.ping.none', { address: r.address }))
      ok.sort((a, b) => a - b)
      ctx.print(t('console.ping.summary', { sent: r.samples.length, received: ok.length, min: ok[0]!, median: ok[Math.floor(ok.length / 2)]!, max: ok.at(-1)! }), 'ok')
    }
  },
  {
    name: 'ftable',
    args: [],
    help: 'console.help.ftable',
    run: async ctx => {
      const [info, st] = await Promise.all([ctx.dht.info(), ctx.client.status()])
      const buckets = new Map<number, string[]>()
      for (const p of info.peers) {
        const b = sharedPrefixBits(st.nodeId, p.nodeId)
        buckets.set(b, [...buckets.get(b) ?? [], `${p.nodeId.slice(0, 12)} ${p.address}`])
      }
      ctx.print(t('console.ftable.header', { n: info.peers.length, nodeId: st.nodeId.slice(0, 16) }))
      for (const b of [...buckets.keys()].sort((x, y) => y - x)) {
        ctx.print(t('console.ftable.bucket', { bucket: b, n: buckets.get(b)!.length }))
        for (const line of buckets.get(b)!) ctx.print(`    ${line}`, 'dim')
      }
    }
  },
  ...(['successor', 'predecessor'] as const).map((which): ConsoleCommand => ({
    name: which,
    args: [],
    help: `console.help.${which}`,
    run: async ctx => {
      const [info, st] = await Promise.all([ctx.dht.info(), ctx.client.status()])
      const ids = info.peers.map(p => p.nodeId).sort()
      if (ids.length === 0) { ctx.print(t('console.ring.empty'), 'warn'); return }
      const next = which === 'successor' ? ids.find(id => id > st.nodeId) ?? ids[0]! : [...ids].reverse().find(id => id < st.nodeId) ?? ids.at(-1)!
      const peer = info.peers.find(p => p.nodeId === next)!
      ctx.print(next)
      ctx.print(`  ${peer.address}`, 'dim')
    }
  })),
  {
    name: 'put',
    args: [{ name: 'value', rest: true }],
    options: [{ name: 'mutable' }, { name: 'salt', value: true }, { name: 'private' }, { name: 'handle', value: true, source: 'ref' }],
    help: 'dht.put.description',
    run: async (ctx, { args, options }) => {
      if (options.mutable === true && options.private === true) throw new Error(t('dht.put.oneKind'))
      const kind = options.private === true || options.handle != null ? 'private' : options.mutable === true || options.salt != null ? 'mutable' : 'immutable'
      const r = await ctx.dht.put({
        value: args.join(' '), encoding: 'utf8', kind,
        ...(typeof options.salt === 'string' ? { salt: options.salt } : {}),
        ...(typeof options.handle === 'string' ? { handle: options.handle } : {})
      })
      ctx.remember(r.ref)
      ctx.print(r.ref, 'ok')
      ctx.print(t('dht.put.stored', { n: r.stored }), 'dim')
    }
  },
  {
    name: 'get',
    args: [{ name: 'ref', source: 'ref' }],
    help: 'dht.get.description',
    run: async (ctx, { args }) => {
      const r = await ctx.dht.get(args[0]!)
      if (!r.found) throw new Error(r.deleted ? t('dht.get.deleted') : t('dht.get.notFound'))
      const bytes = Buffer.from(r.value ?? '', 'base64')
      const text = bytes.toString('utf8')
      // Text shows as text; anything else as base64, never raw bytes on the terminal.
      ctx.print(Buffer.from(text, 'utf8').equals(bytes) && !/\p{Cc}/u.test(text.replace(/\n/g, '')) ? text : `base64:${bytes.toString('base64')}`)
    }
  },
  {
    name: 'delete',
    args: [{ name: 'ref', source: 'ref' }],
    help: 'dht.delete.description',
    run: async (ctx, { args }) => {
      const r = await ctx.dht.delete(args[0]!)
      ctx.print(t('dht.delete.done', { n: r.stored }), 'ok')
    }
  },
  {
    name: 'create',
    args: [],
    help: 'network.create.description',
    run: async ctx => {
      const { createNetworkKey } = await import('../../src/onion/network-key.ts')
      const key = createNetworkKey()
      ctx.print(t('network.created', { key: key.text, address: key.address }), 'ok')
    }
  },
  {
    name: 'ringcast',
    args: [{ name: 'message', rest: true }],
    help: 'console.help.ringcast',
    missing: 'console.missing.ringcast',
    run: async () => { throw new Error(t('console.missing.ringcast')) }
  }
]

/** Leading bits two hex ids share: the Kademlia bucket a node falls in, seen from ours. */
export function sharedPrefixBits (a: string, b: string): number {
  let bits = 0
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = parseInt(a[i]!, 16) ^ parseInt(b[i]!, 16)
    if (x === 0) { bits += 4; continue }
    return bits + (Math.clz32(x) - 28)
  }
  return bits
}
