// Benchmark: the swarm over onion services of a private Tor network on 127.0.0.1
// (src/onion/tor/testnet.ts; one client tor per oht daemon). A share fetched
//   - from 1 seeder and from 4 seeders, each seeder's upload capped (--cap, default 1 MiB/s);
//   - from 1 uncapped seeder, and from 4 uncapped seeders (each round, a fresh leecher);
//   - by a fresh leecher given the link only (providers from the DHT; seeders 2-4 join it through 1);
// beside one plain onion stream of the same bytes (TorTransport, no oht protocol: what
// OnionShare-style serving of one file gets). Reports MiB/s, time to first byte (the leecher's
// first progress), and CPU of the tors against the oht processes. Asserts nothing.
//
//   node bench/onion.ts [--bytes 64MiB] [--cap 1MiB] [--rounds 3] [--uncapped-only] [--net lan|wan] [--relays N]
//
// DEBUG=oht:swarm:lanes (any `debug` namespaces) passes the fetches' debug lines through on stderr.
//
// --net wan runs it on the WAN testbed (every link into a relay delayed, testnet.ts); --relays adds
// plain relays (default 4 on a WAN, 0 on a LAN) so separate circuits need not share all relays.
// In the same run it measures the testbed itself: the circuit round trip (echo over an onion
// stream, p50) and the ceiling of a download, one plain stream (a plain TCP server behind an onion
// service, read through SOCKS) against N plain streams over N separate circuits, N = seeders.
//
// The uncapped comparison runs --rounds times, each an oht fetch then a plain stream, and reports
// medians: every run takes new circuits, and paths through the four relays of the private network
// differ several-fold in speed (the plain stream alone has ranged 3-15 MiB/s here).
//
// Seeders 2-4 get the share by pinning it from seeder 1 before the caps apply (daemons restart
// with --max-upload), so every measured fetch starts from complete seeders.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { generateFile } from '../cli/demo.ts'
import { TorTestNetwork, type TestNetworkKind } from '../src/onion/tor/testnet.ts'
import { publishBulkSender, readThroughSocks, type CeilingRun } from './lib/tor-ceiling.ts'
import { TorTransport } from '../src/onion/tor/transport.ts'
import { startDaemon, type Daemon } from '../test/helpers/daemon.ts'
import { ohtJson } from '../test/helpers/cli.ts'
import { cpuSeconds, timedFetch, torArgs } from './lib/onion-fetch.ts'

const { values } = parseArgs({ options: { bytes: { type: 'string', default: '64MiB' }, cap: { type: 'string', default: '1MiB' }, rounds: { type: 'string', default: '3' }, 'uncapped-only': { type: 'boolean', default: false }, net: { type: 'string', default: 'lan' }, relays: { type: 'string' } } })
if (values.net !== 'lan' && values.net !== 'wan') throw new Error('--net is lan or wan')
const net: TestNetworkKind = values.net
const relays = Number(values.relays ?? (net === 'wan' ? 4 : 0))
const rounds = Math.max(1, Number(values.rounds))
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const bytes = parseSize(values.bytes)
const cap = values.cap
const MiB = 1024 * 1024

const dir = await mkdtemp(join(tmpdir(), 'oht-bench-onion-'))
const daemons: Daemon[] = []
const bootStart = performance.now()
const network = await TorTestNetwork.start({ net, relays })
const bootSeconds = (performance.now() - bootStart) / 1000
try {
  const tors = await Promise.all(Array.from({ length: 7 }, async () => await network.startClient()))
  const input = join(dir, 'input.bin')
  await generateFile(input, bytes)

  // Seeders 1-4 complete, uncapped (seeder 1 owns; 2-4 pin from it).
  const owner = await startDaemon(join(dir, 's1'), torArgs(tors[0]!), 120_000)
  daemons.push(owner)
  const { link } = (await ohtJson<{ link: string }>(owner.dataDir, ['share', input], { timeoutMs: 300_000 })).value
  for (let i = 2; i <= 4 && !values['uncapped-only']; i++) {
    const d = await startDaemon(join(dir, `s${i}`), [...torArgs(tors[i - 1]!), '--bootstrap', owner.address], 120_000)
    daemons.push(d)
    await ohtJson(d.dataDir, ['pin', link, '--ttl', 'never', '--peer', owner.address], { timeoutMs: 600_000 })
  }

  /**
   * One plain onion stream of the same bytes between two fresh transports (new circuits), in the
   * direction oht's bytes flow and OnionShare serves a download: the onion service (on the
   * seeder's tor) sends, the client that dialed it (on the leecher's tor) receives.
   */
  async function plainStream (): Promise<{ seconds: number, connect: number }> {
    const service = new TorTransport({ tor: { kind: 'attach', port: tors[0]!.controlPort, cookieFile: tors[0]!.cookieFile } })
    const dialer = new TorTransport({ tor: { kind: 'attach', port: tors[5]!.controlPort, cookieFile: tors[5]!.cookieFile } })
    const chunk = Buffer.alloc(64 * 1024, 7)
    const address = await service.listen((stream: Duplex) => {
      stream.on('error', () => {})
      void (async () => {
        for (let sent = 0; sent < bytes && !stream.destroyed; sent += chunk.length) {
          if (!stream.write(chunk)) {
            await new Promise<void>(resolve => {
              const go = (): void => { stream.off('drain', go); stream.off('close', go); resolve() }
              stream.on('drain', go)
              stream.on('close', go)
            })
          }
        }
      })()
    })
    const dialStart = performance.now()
    const stream = await dialer.dial(address)
    const plainStart = performance.now()
    let received = 0
    const done = Promise.withResolvers<number>()
    stream.on('data', (c: Buffer) => { received += c.length; if (received >= bytes) done.resolve(performance.now()) })
    const plainEnd = await done.promise
    stream.destroy()
    await dialer.close()
    await service.close()
    return { seconds: (plainEnd - dialStart) / 1000, connect: (plainStart - dialStart) / 1000 }
  }

  // The testbed itself, before any oht fetch: circuit round trip, then the download ceiling on one
  // stream and on one circuit per seeder, from the seeder's tor to the leecher's.
  const seederCount = values['uncapped-only'] ? 1 : 4
  const rtt = await network.measureCircuitRtt({ clients: [tors[0]!, tors[5]!] })
  const sender = await publishBulkSender(tors[0]!)
  let ceilingOne: CeilingRun
  let ceilingMany: CeilingRun
  try {
    await readThroughSocks(tors[5]!, sender, 1, 64 * 1024) // warm: descriptor fetched, service reachable
    ceilingOne = await readThroughSocks(tors[5]!, sender, 1, bytes)
    ceilingMany = await readThroughSocks(tors[5]!, sender, seederCount, bytes)
  } finally {
    await sender.close()
  }

  // Uncapped, one seeder, beside a plain stream, round after round (each on new circuits).
  const uncappedRuns: Array<Awaited<ReturnType<typeof timedFetch>>> = []
  const plainRuns: Array<Awaited<ReturnType<typeof plainStream>>> = []
  /** 4 uncapped seeders, a fresh leecher each round (its own tor, new circuits). */
  const fourUncappedRuns: Array<Awaited<ReturnType<typeof timedFetch>>> = []
  /** A fresh leecher given the link only: providers from the DHT (the seeders pinned and announced). */
  const dhtRuns: Array<Awaited<ReturnType<typeof timedFetch>>> = []
  for (let r = 0; r < rounds; r++) {
    // New circuits for every round, as the plain stream's fresh service gets: without this the
    // leecher's tor reuses its circuit to the seeder's address round after round.
    await tors[5]!.control.command('SIGNAL NEWNYM')
    uncappedRuns.push(await timedFetch(join(dir, `l0-${r}`), tors[5]!, link, join(dir, `out0-${r}`), [owner.address]))
    await rm(join(dir, `out0-${r}`), { recursive: true, force: true })
    plainRuns.push(await plainStream())
    if (!values['uncapped-only']) {
      await tors[6]!.control.command('SIGNAL NEWNYM')
      fourUncappedRuns.push(await timedFetch(join(dir, `l4u-${r}`), tors[6]!, link, join(dir, `out4u-${r}`), daemons.map(d => d.address)))
      await rm(join(dir, `out4u-${r}`), { recursive: true, force: true })
      // A fresh leecher with the link only: joins the DHT through seeder 1, finds the providers.
      await tors[5]!.control.command('SIGNAL NEWNYM')
      dhtRuns.push(await timedFetch(join(dir, `ld-${r}`), tors[5]!, link, join(dir, `outd-${r}`), [], ['--bootstrap', owner.address]))
      await rm(join(dir, `outd-${r}`), { recursive: true, force: true })
    }
  }

  // The same seeders, restarted with their upload capped.
  let one: Awaited<ReturnType<typeof timedFetch>> | null = null
  let four: Awaited<ReturnType<typeof timedFetch>> | null = null
  let torCpu4 = 0
  if (!values['uncapped-only']) {
    for (let i = 0; i < 4; i++) {
      const d = daemons[i]!
      await d.stop()
      daemons[i] = await startDaemon(d.dataDir, [...torArgs(tors[i]!), '--max-upload', cap], 120_000)
    }
    one = await timedFetch(join(dir, 'l1'), tors[5]!, link, join(dir, 'out1'), [daemons[0]!.address])
    const torCpuBefore = tors.reduce((s, t) => s + cpuSeconds(t.pid), 0)
    four = await timedFetch(join(dir, 'l4'), tors[6]!, link, join(dir, 'out4'), daemons.map(d => d.address))
    torCpu4 = tors.reduce((s, t) => s + cpuSeconds(t.pid), 0) - torCpuBefore
  }

  const rate = (s: number): string => (bytes / MiB / s).toFixed(2)
  const capRate = parseSize(cap) / MiB
  const row = (name: string, r: Awaited<ReturnType<typeof timedFetch>>): string =>
    `| ${name} | ${rate(r.seconds)} | ${r.firstByte.toFixed(1)} | ${rate(r.seconds - r.firstByte)} | ${r.seconds.toFixed(1)} | ${r.peers} (${r.lanes}) | ${r.cpu.toFixed(1)} |`
  console.log(`\n## onion: ${values.bytes} over a private Tor network (${net}, ${4 + relays} relays), seeders capped at ${cap}/s — ${new Date().toISOString()}\n`)
  console.log(`- testbed: boot ${bootSeconds.toFixed(1)} s; circuit RTT (echo over an onion stream) p50 ${rtt.p50Ms.toFixed(0)} ms, samples ${rtt.samplesMs.map(x => x.toFixed(0)).join(', ')}; ADD_ONION to first echo ${(rtt.firstAnswerMs / 1000).toFixed(1)} s`)
  const ceilingRow = (c: CeilingRun): string => `${c.mibPerSecond.toFixed(2)} MiB/s (connect ${c.connectSeconds.toFixed(1)} s, flow ${c.flowSeconds.toFixed(1)} s)`
  console.log(`- ceiling, plain TCP behind an onion service read through SOCKS: 1 stream ${ceilingRow(ceilingOne)}; ${seederCount} streams on ${seederCount} circuits ${ceilingRow(ceilingMany)}; ${seederCount} circuits / 1 stream = ${(ceilingMany.mibPerSecond / ceilingOne.mibPerSecond).toFixed(2)}\n`)
  console.log('| shape | MiB/s (start to end) | first byte s | MiB/s (first byte to end) | seconds | peers used (lanes) | leecher CPU s |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  const plainRow = (name: string, p: { seconds: number, connect: number }): string =>
    `| ${name} | ${rate(p.seconds)} | ${p.connect.toFixed(1)} | ${rate(p.seconds - p.connect)} | ${p.seconds.toFixed(1)} | 1 | – |`
  for (let r = 0; r < rounds; r++) {
    console.log(plainRow(`plain onion stream (1 stream, no oht), round ${r + 1}`, plainRuns[r]!))
    console.log(row(`oht, 1 seeder, uncapped, round ${r + 1}`, uncappedRuns[r]!))
    if (fourUncappedRuns[r] != null) console.log(row(`oht, 4 seeders, uncapped, round ${r + 1}`, fourUncappedRuns[r]!))
    if (dhtRuns[r] != null) console.log(row(`oht, link only (providers from the DHT), round ${r + 1}`, dhtRuns[r]!))
  }
  if (one != null) console.log(row('oht, 1 seeder capped', one))
  if (four != null) console.log(row('oht, 4 seeders capped', four))
  console.log('\n"start" is the dial for the plain stream and the start of the `oht fetch` process for oht (process')
  console.log('start, onion connect, handshake, manifest, blocks, verified file on disk); "first byte" is the')
  console.log('connect time for the plain stream and the first block received for oht.\n')
  if (four != null) console.log(`- 4 capped seeders: ${rate(four.seconds)} MiB/s = ${(100 * bytes / MiB / four.seconds / (4 * capRate)).toFixed(0)}% of their summed caps (target ≥ 3.5 MiB/s, ≥ 87%)`)
  const plainMedian = median(plainRuns.map(p => bytes / MiB / p.seconds))
  const ohtMedian = median(uncappedRuns.map(u => bytes / MiB / u.seconds))
  const plainFlowMedian = median(plainRuns.map(p => bytes / MiB / (p.seconds - p.connect)))
  const ohtFlowMedian = median(uncappedRuns.map(u => bytes / MiB / (u.seconds - u.firstByte)))
  console.log(`- uncapped, median of ${rounds} rounds: plain ${plainMedian.toFixed(2)} MiB/s, oht ${ohtMedian.toFixed(2)} MiB/s start to end: oht / plain = ${(ohtMedian / plainMedian).toFixed(2)}; first byte to end ${plainFlowMedian.toFixed(2)} vs ${ohtFlowMedian.toFixed(2)}: ${(ohtFlowMedian / plainFlowMedian).toFixed(2)} (target ≥ 0.8)`)
  if (fourUncappedRuns.length > 0) {
    const fourMedian = median(fourUncappedRuns.map(u => bytes / MiB / u.seconds))
    const fourFlowMedian = median(fourUncappedRuns.map(u => bytes / MiB / (u.seconds - u.firstByte)))
    console.log(`- 4 uncapped seeders, median of ${rounds} rounds: ${fourMedian.toFixed(2)} MiB/s start to end: / plain stream = ${(fourMedian / plainMedian).toFixed(2)} (target ≥ 3); first byte to end ${fourFlowMedian.toFixed(2)} MiB/s: / ${seederCount} plain circuits' ceiling = ${(fourFlowMedian / ceilingMany.mibPerSecond).toFixed(2)} (target ≥ 0.9)`)
  }
  if (dhtRuns.length > 0) console.log(`- link only, providers from the DHT, fresh leecher: first verified block median ${median(dhtRuns.map(d => d.firstByte)).toFixed(1)} s (target ≤ 5 s), per round ${dhtRuns.map(d => d.firstByte.toFixed(1)).join(', ')}`)
  console.log(`- per round, oht / plain start to end: ${uncappedRuns.map((u, r) => (plainRuns[r]!.seconds / u.seconds).toFixed(2)).join(', ')}`)
  console.log(`- against the ceiling (flow rates): oht uncapped median / 1 plain stream = ${(ohtFlowMedian / ceilingOne.mibPerSecond).toFixed(2)}${four == null ? '' : `; oht 4 capped seeders / ${seederCount} plain circuits = ${((bytes / MiB / (four.seconds - four.firstByte)) / ceilingMany.mibPerSecond).toFixed(2)} (their summed caps: ${(4 * capRate).toFixed(1)} MiB/s)`}`)
  if (four != null) console.log(`- CPU during the 4-seeder fetch: all tors ${torCpu4.toFixed(1)} s, oht leecher ${four.cpu.toFixed(1)} s`)
} finally {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network.stop()
  await rm(dir, { recursive: true, force: true })
}
