// Benchmark: the swarm over onion services of a private Tor network on 127.0.0.1
// (src/onion/tor/testnet.ts; one client tor per oht daemon). A share fetched
//   - from 1 seeder and from 4 seeders, each seeder's upload capped (--cap, default 1 MiB/s);
//   - from 1 uncapped seeder;
// beside one plain onion stream of the same bytes (TorTransport, no oht protocol: what
// OnionShare-style serving of one file gets). Reports MiB/s, time to first byte (the leecher's
// first progress), and CPU of the tors against the oht processes. Asserts nothing.
//
//   node bench/onion.ts [--bytes 64MiB] [--cap 1MiB] [--uncapped-only]
//
// Seeders 2-4 get the share by pinning it from seeder 1 before the caps apply (daemons restart
// with --max-upload), so every measured fetch starts from complete seeders.
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { generateFile } from '../cli/demo.ts'
import { TorTestNetwork } from '../src/onion/tor/testnet.ts'
import { TorTransport } from '../src/onion/tor/transport.ts'
import type { TorProcess } from '../src/onion/tor/process.ts'
import { startDaemon, type Daemon } from '../test/helpers/daemon.ts'
import { NODE_BIN, OHT_BIN, REPO, ohtJson } from '../test/helpers/cli.ts'

const { values } = parseArgs({ options: { bytes: { type: 'string', default: '64MiB' }, cap: { type: 'string', default: '1MiB' }, 'uncapped-only': { type: 'boolean', default: false } } })
const bytes = parseSize(values.bytes)
const cap = values.cap
const MiB = 1024 * 1024

function cpuSeconds (pid: number | undefined): number {
  if (pid == null) return 0
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch { return 0 }
}

function torArgs (tor: TorProcess): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

/** `oht fetch` with --progress json: seconds to the first progress with bytes, and the result. */
async function timedFetch (dataDir: string, tor: TorProcess, link: string, out: string, peers: string[]): Promise<{ seconds: number, firstByte: number, peers: number, cpu: number }> {
  const started = performance.now()
  const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, ...torArgs(tor), '--json', '--progress', 'json', 'fetch', link, '-o', out, ...peers.flatMap(p => ['--peer', p])], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let firstByte = NaN
  let cpu = 0
  const poll = setInterval(() => { cpu = Math.max(cpu, cpuSeconds(child.pid)) }, 200)
  createInterface({ input: child.stderr! }).on('line', line => {
    if (!Number.isNaN(firstByte)) return
    try { if ((JSON.parse(line) as { bytesDone?: number }).bytesDone! > 0) firstByte = (performance.now() - started) / 1000 } catch {}
  })
  let result = ''
  child.stdout!.on('data', (d: Buffer) => { result += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearInterval(poll)
  if (code !== 0) throw new Error(`fetch failed (${code}): ${result}`)
  const r = JSON.parse(result.trim().split('\n').pop()!) as { seconds: number, peers: number }
  return { seconds: r.seconds, firstByte, peers: r.peers, cpu }
}

const dir = await mkdtemp(join(tmpdir(), 'oht-bench-onion-'))
const daemons: Daemon[] = []
const network = await TorTestNetwork.start()
try {
  const tors = await Promise.all(Array.from({ length: 7 }, async () => await network.startClient()))
  const input = join(dir, 'input.bin')
  await generateFile(input, bytes)

  // Seeders 1-4 complete, uncapped (seeder 1 owns; 2-4 pin from it).
  const owner = await startDaemon(join(dir, 's1'), torArgs(tors[0]!), 120_000)
  daemons.push(owner)
  const { link } = (await ohtJson<{ link: string }>(owner.dataDir, ['share', input], { timeoutMs: 300_000 })).value
  for (let i = 2; i <= 4; i++) {
    const d = await startDaemon(join(dir, `s${i}`), torArgs(tors[i - 1]!), 120_000)
    daemons.push(d)
    await ohtJson(d.dataDir, ['pin', link, '--ttl', 'never', '--peer', owner.address], { timeoutMs: 600_000 })
  }
  const uncapped = await timedFetch(join(dir, 'l0'), tors[5]!, link, join(dir, 'out0'), [owner.address])

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

  // One plain onion stream of the same bytes between two fresh transports.
  const service = new TorTransport({ tor: { kind: 'attach', port: tors[0]!.controlPort, cookieFile: tors[0]!.cookieFile } })
  const dialer = new TorTransport({ tor: { kind: 'attach', port: tors[5]!.controlPort, cookieFile: tors[5]!.cookieFile } })
  let received = 0
  const done = Promise.withResolvers<number>()
  const address = await service.listen((stream: Duplex) => {
    stream.on('data', (c: Buffer) => { received += c.length; if (received >= bytes) done.resolve(performance.now()) })
  })
  const dialStart = performance.now()
  const stream = await dialer.dial(address)
  const chunk = Buffer.alloc(64 * 1024, 7)
  const plainStart = performance.now()
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!stream.write(chunk)) await new Promise(resolve => stream.once('drain', resolve))
  }
  const plainEnd = await done.promise
  const plainSeconds = (plainEnd - dialStart) / 1000
  const plainConnect = (plainStart - dialStart) / 1000
  stream.destroy()
  await dialer.close()
  await service.close()

  const rate = (s: number): string => (bytes / MiB / s).toFixed(2)
  const capRate = parseSize(cap) / MiB
  const row = (name: string, r: Awaited<ReturnType<typeof timedFetch>>): string =>
    `| ${name} | ${rate(r.seconds)} | ${r.firstByte.toFixed(1)} | ${rate(r.seconds - r.firstByte)} | ${r.seconds.toFixed(1)} | ${r.peers} | ${r.cpu.toFixed(1)} |`
  console.log(`\n## onion: ${values.bytes} over a private Tor network, seeders capped at ${cap}/s — ${new Date().toISOString()}\n`)
  console.log('| shape | MiB/s (start to end) | first byte s | MiB/s (first byte to end) | seconds | peers used | leecher CPU s |')
  console.log('|---|---:|---:|---:|---:|---:|---:|')
  console.log(`| plain onion stream (1 stream, no oht) | ${rate(plainSeconds)} | ${plainConnect.toFixed(1)} | ${rate(plainSeconds - plainConnect)} | ${plainSeconds.toFixed(1)} | 1 | – |`)
  console.log(row('oht, 1 seeder, uncapped', uncapped))
  if (one != null) console.log(row('oht, 1 seeder capped', one))
  if (four != null) console.log(row('oht, 4 seeders capped', four))
  console.log('\n"start" is the dial for the plain stream and the start of the `oht fetch` process for oht (process')
  console.log('start, onion connect, handshake, manifest, blocks, verified file on disk); "first byte" is the')
  console.log('connect time for the plain stream and the first block received for oht.\n')
  if (four != null) console.log(`- 4 capped seeders: ${rate(four.seconds)} MiB/s = ${(100 * bytes / MiB / four.seconds / (4 * capRate)).toFixed(0)}% of their summed caps (target ≥ 3.5 MiB/s, ≥ 87%)`)
  console.log(`- oht uncapped / plain onion stream, start to end: ${(plainSeconds / uncapped.seconds).toFixed(2)}; first byte to end: ${((plainSeconds - plainConnect) / (uncapped.seconds - uncapped.firstByte)).toFixed(2)} (target ≥ 0.8)`)
  if (four != null) console.log(`- CPU during the 4-seeder fetch: all tors ${torCpu4.toFixed(1)} s, oht leecher ${four.cpu.toFixed(1)} s`)
} finally {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network.stop()
  await rm(dir, { recursive: true, force: true })
}
