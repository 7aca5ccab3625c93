// The loopback TCP limit for bench/swarm: one socket between two processes, the sender writing
// 1 MiB buffers (honouring backpressure), the receiver counting bytes from the first byte to the
// end of the stream. As a script: `swarm-tcp.ts sink` (prints its port, then the result) and
// `swarm-tcp.ts source PORT BYTES`; bench/swarm.ts calls measureLoopbackTcp.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import type { ProcGroup } from './swarm-proc.ts'

const MiB = 2 ** 20
const PORT_MARK = 'SWARM_TCP_PORT '
const RESULT_MARK = 'SWARM_TCP_RESULT '

export interface TcpResult { bytes: number, seconds: number, mibPerSecond: number }

/** One transfer of `bytes` through a fresh sink and source process; bounded by timeoutMs. */
export async function measureLoopbackTcp (group: ProcGroup, bytes: number, cwd: string, timeoutMs = 120_000): Promise<TcpResult> {
  const script = fileURLToPath(import.meta.url)
  const sink = group.start('tcp sink', process.execPath, [script, 'sink'], { cwd })
  try {
    const port = await sink.waitFor('port', l => l.startsWith(PORT_MARK) ? Number(l.slice(PORT_MARK.length)) : undefined, 20_000)
    const source = group.start('tcp source', process.execPath, [script, 'source', String(port), String(bytes)], { cwd })
    try {
      const result = await sink.waitFor('result', l => l.startsWith(RESULT_MARK) ? JSON.parse(l.slice(RESULT_MARK.length)) as TcpResult : undefined, timeoutMs)
      if (result.bytes !== bytes) throw new Error(`loopback TCP: received ${result.bytes} of ${bytes} bytes`)
      return result
    } finally {
      await source.stop()
    }
  } finally {
    await sink.stop()
  }
}

function sink (): void {
  const server = net.createServer(socket => {
    let received = 0
    let t0 = 0
    socket.on('data', (chunk: Buffer) => {
      if (received === 0) t0 = performance.now()
      received += chunk.length
    })
    socket.on('end', () => {
      const seconds = (performance.now() - t0) / 1000
      process.stdout.write(`${RESULT_MARK}${JSON.stringify({ bytes: received, seconds, mibPerSecond: received / MiB / seconds })}\n`)
      socket.destroy()
      server.close()
    })
  })
  server.listen(0, '127.0.0.1', () => {
    const address = server.address()
    if (address == null || typeof address === 'string') throw new Error('no TCP address')
    process.stdout.write(`${PORT_MARK}${address.port}\n`)
  })
}

function source (port: number, total: number): void {
  const buf = Buffer.alloc(MiB, 0x5a)
  const socket = net.connect(port, '127.0.0.1', () => {
    let sent = 0
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(MiB, total - sent)
        sent += n
        if (!socket.write(n === MiB ? buf : buf.subarray(0, n))) { socket.once('drain', pump); return }
      }
      socket.end()
    }
    pump()
  })
  socket.on('error', err => { process.stderr.write(`${err.message}\n`); process.exit(1) })
}

if (import.meta.main) {
  const [role, port, bytes] = process.argv.slice(2)
  if (role === 'sink') sink()
  else if (role === 'source' && port != null && bytes != null) source(Number(port), Number(bytes))
  else {
    process.stderr.write('usage: swarm-tcp.ts sink | swarm-tcp.ts source PORT BYTES\n')
    process.exit(2)
  }
}
