// Benchmark: time to the first verified block of `oht fetch <link>` with providers from the DHT,
// on a private Tor network (src/onion/tor/testnet.ts), by default the WAN testbed (every link into
// a relay delayed). Four seeders (one owner, three that pinned the share) are DHT nodes; each
// round a leecher that never saw the share fetches it, given the link only:
//   - embedded: `oht fetch --bootstrap <seeder 1>` without a daemon: joins the DHT, looks the
//     providers up, fetches (a fresh node on new circuits: SIGNAL NEWNYM before);
//   - daemon: a new `oht daemon --bootstrap <seeder 1>` that has joined the DHT (its routing-table
//     circuits built, as a running daemon has them), then `oht fetch` through it;
//   - stream: another new daemon, joined, then `oht stream` through it: time to the first frame
//     (`ffmpeg -i URL -frames:v 1` done, from the spawn of `oht stream`), then seeks (a Range GET
//     at a random offset until 64 KiB of it arrived), reported also in circuit round trips.
// The share is an H.264/AAC MP4 made by ffmpeg (index at the end, as a camera writes it).
// Time is measured from the start of the `oht fetch` process to its first progress with bytes,
// beside the testbed's circuit round trip and the time one plain onion dial takes (ADD_ONION to
// the first echo). Asserts nothing.
//
//   node bench/first-block.ts [--net wan|lan] [--video-seconds 60] [--rounds 3] [--seeks 3] [--relays N]
//
// DEBUG=oht:* passes the embedded fetches' debug lines through on stderr, and prints each
// daemon leecher's after its round (with timestamps: a timeline of the first block).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { TorTestNetwork, type TestNetworkKind } from '../src/onion/tor/testnet.ts'
import { startDaemon, type Daemon } from '../test/helpers/daemon.ts'
import { ohtJson } from '../test/helpers/cli.ts'
import { timedFetch, torArgs, type TimedFetch } from './lib/onion-fetch.ts'
import { decodeMs, firstBytesMs } from './lib/stream-probe.ts'
import { makeMp4 } from '../test/helpers/media.ts'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { NODE_BIN, OHT_BIN, REPO } from '../test/helpers/cli.ts'

const { values } = parseArgs({ options: { 'video-seconds': { type: 'string', default: '60' }, rounds: { type: 'string', default: '3' }, seeks: { type: 'string', default: '3' }, net: { type: 'string', default: 'wan' }, relays: { type: 'string' } } })
if (values.net !== 'lan' && values.net !== 'wan') throw new Error('--net is lan or wan')
const net: TestNetworkKind = values.net
const relays = Number(values.relays ?? (net === 'wan' ? 4 : 0))
const rounds = Math.max(1, Number(values.rounds))
const videoSeconds = Number(values['video-seconds'])
const seeksPerRound = Number(values.seeks)
const SEEK_BYTES = 64 * 1024
const HELD_SEEK_MAX_MS = 150
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }

/** Polls `oht peers` of a daemon until its routing table holds `atLeast` nodes; seconds taken. */
async function joined (dataDir: string, atLeast: number, deadlineMs = 180_000): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < deadlineMs) {
    const { value } = await ohtJson<{ peers: unknown[] }>(dataDir, ['peers'])
    if (value.peers.length >= atLeast) return (performance.now() - started) / 1000
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error(`the daemon's routing table stayed below ${atLeast} nodes for ${deadlineMs / 1000} s`)
}

/** `oht stream <link>` through the daemon of `dataDir`: its URL, and ms from the spawn to it. */
async function streamUrl (dataDir: string, tor: Parameters<typeof torArgs>[0], link: string): Promise<string> {
  const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, ...torArgs(tor), 'stream', link], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000) })
  return await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', l => { if (l.startsWith('http://')) resolve(l) })
    child.once('exit', code => { reject(new Error(`oht stream exited with ${code}: ${err}`)) })
  })
}

const dir = await mkdtemp(join(tmpdir(), 'oht-bench-first-'))
const daemons: Daemon[] = []
const bootStart = performance.now()
const network = await TorTestNetwork.start({ net, relays })
const bootSeconds = (performance.now() - bootStart) / 1000
try {
  const tors = await Promise.all(Array.from({ length: 6 }, async () => await network.startClient()))
  const input = join(dir, 'input.mp4')
  const bytes = await makeMp4(input, videoSeconds, 1500)
  const owner = await startDaemon(join(dir, 's1'), torArgs(tors[0]!), 120_000)
  daemons.push(owner)
  const { link } = (await ohtJson<{ link: string }>(owner.dataDir, ['share', input], { timeoutMs: 300_000 })).value
  for (let i = 2; i <= 4; i++) {
    const d = await startDaemon(join(dir, `s${i}`), [...torArgs(tors[i - 1]!), '--bootstrap', owner.address], 120_000)
    daemons.push(d)
    await ohtJson(d.dataDir, ['pin', link, '--ttl', 'never', '--peer', owner.address], { timeoutMs: 600_000 })
  }
  const rtt = await network.measureCircuitRtt({ clients: [tors[0]!, tors[4]!] })

  const embedded: TimedFetch[] = []
  const viaDaemon: Array<TimedFetch & { join: number }> = []
  const streams: Array<{ join: number, firstFrame: number, seeks: number[] }> = []
  for (let r = 0; r < rounds; r++) {
    await tors[4]!.control.command('SIGNAL NEWNYM')
    embedded.push(await timedFetch(join(dir, `le-${r}`), tors[4]!, link, join(dir, `oute-${r}`), [], ['--bootstrap', owner.address]))
    await rm(join(dir, `oute-${r}`), { recursive: true, force: true })

    await tors[5]!.control.command('SIGNAL NEWNYM')
    const leecher = await startDaemon(join(dir, `ld-${r}`), [...torArgs(tors[5]!), '--bootstrap', owner.address], 120_000)
    try {
      const joinSeconds = await joined(leecher.dataDir, 2)
      viaDaemon.push({ ...await timedFetch(leecher.dataDir, tors[5]!, link, join(dir, `outd-${r}`), []), join: joinSeconds })
    } finally {
      await leecher.stop()
      if (process.env.DEBUG != null) process.stderr.write(`--- daemon leecher, round ${r + 1}\n${leecher.stderr()}`)
    }
    await rm(join(dir, `outd-${r}`), { recursive: true, force: true })

    await tors[5]!.control.command('SIGNAL NEWNYM')
    const viewer = await startDaemon(join(dir, `lv-${r}`), [...torArgs(tors[5]!), '--bootstrap', owner.address], 120_000)
    try {
      const joinSeconds = await joined(viewer.dataDir, 2)
      const t0 = performance.now()
      const url = await streamUrl(viewer.dataDir, tors[5]!, link)
      await decodeMs(url)
      const firstFrame = (performance.now() - t0) / 1000
      const seeks: number[] = []
      for (let i = 0; i < seeksPerRound; i++) seeks.push(await firstBytesMs(url, Math.floor((0.2 + Math.random() * 0.75) * bytes), SEEK_BYTES))
      streams.push({ join: joinSeconds, firstFrame, seeks })
    } finally {
      await viewer.stop()
      if (process.env.DEBUG != null) process.stderr.write(`--- stream viewer, round ${r + 1}\n${viewer.stderr()}`)
    }
  }

  console.log(`\n## first block: a ${(bytes / 2 ** 20).toFixed(1)} MiB MP4 (${videoSeconds} s) over a private Tor network (${net}, ${4 + relays} relays), providers from the DHT — ${new Date().toISOString()}\n`)
  console.log(`- testbed: boot ${bootSeconds.toFixed(1)} s; circuit RTT (echo over an onion stream) p50 ${rtt.p50Ms.toFixed(0)} ms; one plain onion dial (ADD_ONION to first echo) ${(rtt.firstAnswerMs / 1000).toFixed(1)} s\n`)
  console.log('| round | embedded: first block s | embedded: seconds | daemon: joined after s | daemon: first block s | daemon: seconds |')
  console.log('|---:|---:|---:|---:|---:|---:|')
  for (let r = 0; r < rounds; r++) {
    const e = embedded[r]!
    const d = viaDaemon[r]!
    console.log(`| ${r + 1} | ${e.firstByte.toFixed(1)} | ${e.seconds.toFixed(1)} | ${d.join.toFixed(1)} | ${d.firstByte.toFixed(1)} | ${d.seconds.toFixed(1)} |`)
  }
  console.log('\n| round | stream: joined after s | first frame s | seeks ms (64 KiB at a random offset) | seeks in circuit RTTs |')
  console.log('|---:|---:|---:|---|---|')
  streams.forEach((v, r) => { console.log(`| ${r + 1} | ${v.join.toFixed(1)} | ${v.firstFrame.toFixed(1)} | ${v.seeks.map(x => x.toFixed(0)).join(', ')} | ${v.seeks.map(x => (x / rtt.p50Ms).toFixed(1)).join(', ')} |`) })
  const allSeeks = streams.flatMap(v => v.seeks)
  // A seek answered from blocks already held takes milliseconds (3–50 here), one that waits for
  // the network at least a circuit round trip: the threshold only sorts them.
  const networkSeeks = allSeeks.filter(ms => ms >= HELD_SEEK_MAX_MS)
  console.log(`\n- first verified block, median of ${rounds}: embedded (fresh node, joins the DHT first) ${median(embedded.map(e => e.firstByte)).toFixed(1)} s; through a running daemon ${median(viaDaemon.map(d => d.firstByte)).toFixed(1)} s (target ≤ 5 s)`)
  console.log(`- \`oht stream\` through a running daemon to the first frame, median ${median(streams.map(v => v.firstFrame)).toFixed(1)} s (target ≤ 6 s); seeks median ${median(allSeeks).toFixed(0)} ms = ${(median(allSeeks) / rtt.p50Ms).toFixed(1)} circuit RTTs (target ≤ 2)`)
  if (networkSeeks.length > 0) console.log(`- seeks that waited for the network (${networkSeeks.length} of ${allSeeks.length}; the others, under ${HELD_SEEK_MAX_MS} ms, read blocks already held): median ${median(networkSeeks).toFixed(0)} ms = ${(median(networkSeeks) / rtt.p50Ms).toFixed(1)} circuit RTTs, worst ${(Math.max(...networkSeeks) / rtt.p50Ms).toFixed(1)}`)
} finally {
  if (process.env.DEBUG != null) {
    // The seeders' side of the timelines (what they served, and when), without their DHT chatter.
    daemons.forEach((d, i) => { process.stderr.write(`--- seeder ${i + 1}\n${d.stderr().split('\n').filter(l => l.includes('oht:swarm')).join('\n')}\n`) })
  }
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network.stop()
  await rm(dir, { recursive: true, force: true })
}
