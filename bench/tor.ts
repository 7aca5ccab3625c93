// Benchmark: throughput of plain onion streams (TorTransport, no oht protocol on top) in the
// private Tor network of src/onion/tor/testnet.ts: 4 directory authorities that relay, one
// client tor for the service and one for the dialers, all on 127.0.0.1.
//
//   node bench/tor.ts [--bytes 64MiB] [--runs 1] [--json] [--net lan|wan] [--relays N]
//
// --net wan: the WAN testbed (every link into a relay delayed; src/onion/tor/testnet.ts);
// --relays adds plain relays besides the four authorities (default 0).
//
// Shapes: one raw stream (a plain socket through SOCKS to a plain ADD_ONION service, without
// the OnionStream framing, to show its cost); one TorTransport stream carrying --bytes; four streams carrying --bytes/4 each, dialed by four
// transports on the same client tor, so each runs on its own circuit (SOCKS isolation). The
// clock runs from the first write until the service has read every byte of every stream.
// It reports figures and asserts nothing; every tor it started is stopped, also on error.
import { readFileSync } from 'node:fs'
import { createServer, type AddressInfo, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { parseArgs } from 'node:util'
import { parseSize } from '../cli/units.ts'
import { TorTestNetwork } from '../src/onion/tor/testnet.ts'
import { TorTransport } from '../src/onion/tor/transport.ts'
import type { TorProcess } from '../src/onion/tor/process.ts'
import { socksConnect } from '../src/onion/tor/socks.ts'

const { values } = parseArgs({
  options: {
    bytes: { type: 'string', default: '64MiB' },
    runs: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    net: { type: 'string', default: 'lan' },
    relays: { type: 'string', default: '0' }
  }
})
if (values.net !== 'lan' && values.net !== 'wan') throw new Error('--net is lan or wan')
const net = values.net
const totalBytes = parseSize(values.bytes)
const runs = Number(values.runs)
const MiB = 1024 * 1024
const CHUNK = Buffer.alloc(64 * 1024, 7)

function attach (tor: TorProcess): TorTransport {
  return new TorTransport({ tor: { kind: 'attach', port: tor.controlPort, cookieFile: tor.cookieFile }, publishTimeoutMs: 60_000, dialTimeoutMs: 60_000 })
}

async function send (stream: Duplex, bytes: number): Promise<void> {
  for (let sent = 0; sent < bytes; sent += CHUNK.length) {
    const part = bytes - sent < CHUNK.length ? CHUNK.subarray(0, bytes - sent) : CHUNK
    if (!stream.write(part)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = (): void => { stream.off('close', onClose); resolve() }
        const onClose = (): void => { stream.off('drain', onDrain); reject(new Error('stream closed while sending')) }
        stream.once('drain', onDrain)
        stream.once('close', onClose)
      })
    }
  }
  stream.end()
}

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds (pid: number | undefined): number {
  if (pid === undefined) return 0
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch { return 0 }
}

const t0 = Date.now()
const network = await TorTestNetwork.start({ net, relays: Number(values.relays) })
const boot = Date.now() - t0
const results: Array<{ shape: string, bytes: number, seconds: number, mibPerSecond: number, torCpuSeconds: number }> = []
const transports: TorTransport[] = []
let raw: Server | null = null
try {
  const [serviceTor, clientTor] = await Promise.all([network.startClient(), network.startClient()])
  const server = attach(serviceTor)
  transports.push(server)
  // Each accepted stream counts its bytes and reports when it has them all.
  let onStreamDone: ((bytes: number) => void) | null = null
  const address = await server.listen(stream => {
    let bytes = 0
    stream.on('data', (chunk: Buffer) => { bytes += chunk.length })
    stream.once('end', () => { onStreamDone?.(bytes) })
  })
  const dialers = Array.from({ length: 4 }, () => attach(clientTor))
  transports.push(...dialers)
  // Warm-up: every dialer builds its circuit before anything is timed.
  for (const d of dialers) { const s = await d.dial(address); await send(s, 1024); await new Promise(resolve => s.once('close', resolve)) }

  // The raw baseline: a plain local server published with ADD_ONION, a plain SOCKS socket.
  let onRawDone: ((bytes: number) => void) | null = null
  raw = createServer(socket => {
    let bytes = 0
    socket.on('data', (chunk: Buffer) => { bytes += chunk.length })
    socket.once('end', () => { onRawDone?.(bytes) })
    socket.on('error', () => {})
  })
  const rawServer = raw
  await new Promise<void>(resolve => rawServer.listen(0, '127.0.0.1', resolve))
  await serviceTor.control.addEvents('HS_DESC')
  const rawUploaded = Promise.withResolvers<void>()
  let rawId = ''
  const off = serviceTor.control.onEvent(e => { if (e.type === 'HS_DESC' && e.action === 'UPLOADED' && e.address === rawId) rawUploaded.resolve() })
  const added = await serviceTor.control.command(`ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=4002,127.0.0.1:${(rawServer.address() as AddressInfo).port}`)
  rawId = added.lines.find(l => l.text.startsWith('ServiceID='))!.text.slice(10)
  await rawUploaded.promise
  off()
  const rawDial = async (): Promise<Duplex> => await socksConnect('raw', { proxy: clientTor.socks!, host: `${rawId}.onion`, port: 4002, isolation: { username: 'bench-raw', password: 'x' } }, new AbortController().signal)
  { const s = await rawDial(); await new Promise<void>(resolve => { onRawDone = () => { resolve() }; s.end('warm') }) }

  for (let run = 0; run < runs; run++) {
    {
      const socket = await rawDial()
      const cpuBefore = cpuSeconds(serviceTor.pid) + cpuSeconds(clientTor.pid)
      const received = new Promise<number>(resolve => { onRawDone = resolve })
      const start = process.hrtime.bigint()
      await send(socket, totalBytes)
      const bytes = await received
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const torCpuSeconds = cpuSeconds(serviceTor.pid) + cpuSeconds(clientTor.pid) - cpuBefore
      const shape = '1 raw stream'
      results.push({ shape, bytes, seconds, mibPerSecond: bytes / MiB / seconds, torCpuSeconds })
      if (!values.json) console.log(`${shape.padEnd(22)} ${(bytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(2)} s: ${(bytes / MiB / seconds).toFixed(1)} MiB/s (client+service tor CPU ${torCpuSeconds.toFixed(1)} s)`)
    }
    for (const streams of [1, 4]) {
      const per = Math.floor(totalBytes / streams)
      const sockets = await Promise.all(dialers.slice(0, streams).map(async d => await d.dial(address)))
      const cpuBefore = cpuSeconds(serviceTor.pid) + cpuSeconds(clientTor.pid)
      let done = 0
      let received = 0
      const all = new Promise<void>(resolve => {
        onStreamDone = bytes => { received += bytes; if (++done === streams) resolve() }
      })
      const start = process.hrtime.bigint()
      await Promise.all(sockets.map(async s => { await send(s, per) }))
      await all
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const torCpuSeconds = cpuSeconds(serviceTor.pid) + cpuSeconds(clientTor.pid) - cpuBefore
      if (received !== per * streams) throw new Error(`received ${received} of ${per * streams} bytes`)
      const shape = streams === 1 ? '1 stream' : `${streams} streams, ${streams} circuits`
      results.push({ shape, bytes: received, seconds, mibPerSecond: received / MiB / seconds, torCpuSeconds })
      if (!values.json) console.log(`${shape.padEnd(22)} ${(received / MiB).toFixed(0)} MiB in ${seconds.toFixed(2)} s: ${(received / MiB / seconds).toFixed(1)} MiB/s (client+service tor CPU ${torCpuSeconds.toFixed(1)} s)`)
    }
  }
} finally {
  await Promise.all(transports.map(async t => { await t.close() }))
  raw?.close()
  await network.stop()
}
if (values.json) console.log(JSON.stringify({ net, bootMs: boot, results }))
else console.log(`(network boot ${(boot / 1000).toFixed(1)} s; ${net}; 4 authorities that relay${values.relays === '0' ? '' : ` + ${values.relays} relays`} + 2 client tors on 127.0.0.1, KISTSchedRunInterval 1)`)
