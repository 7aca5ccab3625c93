// The emulated circuit round trip of a test network: a plain echo server behind an onion service
// on one client tor, dialed through the SOCKS port of another, timed one small message at a time.
// It measures what a user's request pays on top of transfer time (rendezvous circuit, both ends).
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { socksConnect, SocksDialError } from '../socks.ts'
import type { TorProcess } from '../process.ts'

export interface CircuitRtt {
  /** Median of the samples, ms. */
  p50Ms: number
  samplesMs: number[]
  /** From ADD_ONION to the first echoed byte (publish + descriptor fetch + introduction + rendezvous), ms. */
  firstAnswerMs: number
}

const VIRTUAL_PORT = 7
const MESSAGE = Buffer.from('oht-rtt-probe\n')

export async function measureCircuitRtt (service: TorProcess, client: TorProcess, samples = 9, timeoutMs = 180_000): Promise<CircuitRtt> {
  if (client.socks === null) throw new Error('the dialing tor has no SOCKS port')
  const echo = createServer(socket => { socket.on('error', () => {}); socket.pipe(socket) })
  await new Promise<void>(resolve => echo.listen(0, '127.0.0.1', resolve))
  const started = performance.now()
  const deadline = Date.now() + timeoutMs
  let serviceId: string | null = null
  let socket: Socket | null = null
  try {
    const added = await service.control.command(`ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=${VIRTUAL_PORT},127.0.0.1:${(echo.address() as AddressInfo).port}`)
    serviceId = added.lines.find(l => l.text.startsWith('ServiceID='))?.text.slice('ServiceID='.length) ?? null
    if (serviceId === null) throw new Error('ADD_ONION answered no ServiceID')
    // Dial until the descriptor is there (0xF0 right after publishing): retryable SOCKS errors only.
    for (;;) {
      try {
        socket = await socksConnect('rtt-probe', { proxy: client.socks, host: `${serviceId}.onion`, port: VIRTUAL_PORT, isolation: { username: `rtt-${serviceId.slice(0, 8)}`, password: 'x' } }, AbortSignal.timeout(Math.max(1, deadline - Date.now())))
        break
      } catch (err) {
        if (!(err instanceof SocksDialError && err.retryable) || Date.now() > deadline) throw err
        await new Promise(resolve => setTimeout(resolve, 500))
      }
    }
    socket.on('error', () => {})
    const roundTrip = makeRoundTrip(socket)
    await roundTrip()
    const firstAnswerMs = performance.now() - started
    const samplesMs: number[] = []
    for (let i = 0; i < samples; i++) samplesMs.push(await roundTrip())
    const sorted = [...samplesMs].sort((a, b) => a - b)
    return { p50Ms: sorted[Math.floor(sorted.length / 2)]!, samplesMs, firstAnswerMs }
  } finally {
    socket?.destroy()
    if (serviceId !== null) await service.control.command(`DEL_ONION ${serviceId}`).catch(() => {})
    await new Promise(resolve => echo.close(resolve))
  }
}

/** One message out, the same bytes back: the time between, ms. */
function makeRoundTrip (socket: Socket): () => Promise<number> {
  let received = 0
  let pending: { resolve: () => void, reject: (err: Error) => void } | null = null
  socket.on('data', (chunk: Buffer) => { received += chunk.length; if (received >= MESSAGE.length) pending?.resolve() })
  socket.once('close', () => { pending?.reject(new Error('the probe stream closed')) })
  return async () => {
    received = 0
    const back = new Promise<void>((resolve, reject) => { pending = { resolve, reject } })
    const t = performance.now()
    socket.write(MESSAGE)
    await back
    return performance.now() - t
  }
}
