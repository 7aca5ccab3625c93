// The ceiling of a private Tor network for a download: a plain TCP server behind an onion service
// (ADD_ONION, no oht protocol) sends bytes; a client reads them through tor's SOCKS port, on one
// stream or on N streams over N separate circuits (SOCKS isolation by distinct username/password).
// What oht's fetches compare with: the most these tors and relays carry.
import { createServer, type AddressInfo, type Socket } from 'node:net'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { socksConnect, SocksDialError } from '../../src/onion/tor/socks.ts'

const VIRTUAL_PORT = 4003
const CHUNK = Buffer.alloc(64 * 1024, 9)

export interface CeilingRun {
  streams: number
  bytes: number
  /** Dial (descriptor, introduction, rendezvous) of all streams, in parallel, s. */
  connectSeconds: number
  /** From all streams connected until every byte arrived, s. */
  flowSeconds: number
  mibPerSecond: number
}

/** Publishes a bulk sender on `service`; each connection gets `bytesFor(n)` bytes, never a FIN (tor drops a stream's tail on FIN). */
export async function publishBulkSender (service: TorProcess): Promise<{ onion: string, setBytes: (bytes: number) => void, close: () => Promise<void> }> {
  let bytesPerStream = 0
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket) })
    socket.on('data', () => {}) // the client writes one byte to start
    socket.once('data', () => { void send(socket, bytesPerStream) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const added = await service.control.command(`ADD_ONION NEW:ED25519-V3 Flags=DiscardPK Port=${VIRTUAL_PORT},127.0.0.1:${(server.address() as AddressInfo).port}`)
  const id = added.lines.find(l => l.text.startsWith('ServiceID='))!.text.slice('ServiceID='.length)
  return {
    onion: `${id}.onion`,
    setBytes: (bytes: number) => { bytesPerStream = bytes },
    close: async () => {
      await service.control.command(`DEL_ONION ${id}`).catch(() => {})
      for (const s of sockets) s.destroy()
      await new Promise(resolve => server.close(resolve))
    }
  }
}

async function send (socket: Socket, bytes: number): Promise<void> {
  for (let sent = 0; sent < bytes && !socket.destroyed; sent += CHUNK.length) {
    const part = bytes - sent < CHUNK.length ? CHUNK.subarray(0, bytes - sent) : CHUNK
    if (!socket.write(part)) {
      await new Promise<void>(resolve => {
        const go = (): void => { socket.off('drain', go); socket.off('close', go); resolve() }
        socket.on('drain', go)
        socket.on('close', go)
      })
    }
  }
}

let isolation = 0

/** Reads `totalBytes` from the sender over `streams` streams on separate circuits (fresh SOCKS credentials each run). */
export async function readThroughSocks (client: TorProcess, sender: { onion: string, setBytes: (bytes: number) => void }, streams: number, totalBytes: number): Promise<CeilingRun> {
  const per = Math.floor(totalBytes / streams)
  sender.setBytes(per)
  const dialStart = performance.now()
  const sockets = await Promise.all(Array.from({ length: streams }, async () => await dialWithRetry(client, sender.onion, `ceiling-${process.pid}-${isolation++}`)))
  const flowStart = performance.now()
  await Promise.all(sockets.map(async socket => {
    let got = 0
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (c: Buffer) => { got += c.length; if (got >= per) resolve() })
      socket.once('close', () => { if (got < per) reject(new Error(`stream closed after ${got} of ${per} bytes`)) })
      socket.write('g')
    })
    socket.destroy()
  }))
  const end = performance.now()
  const flowSeconds = (end - flowStart) / 1000
  return { streams, bytes: per * streams, connectSeconds: (flowStart - dialStart) / 1000, flowSeconds, mibPerSecond: per * streams / 1024 / 1024 / flowSeconds }
}

async function dialWithRetry (client: TorProcess, onion: string, username: string): Promise<Socket> {
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      const socket = await socksConnect('ceiling', { proxy: client.socks!, host: onion, port: VIRTUAL_PORT, isolation: { username, password: 'x' } }, AbortSignal.timeout(120_000))
      socket.on('error', () => {})
      return socket
    } catch (err) {
      // 0xF0 right after publishing: the descriptor is not there yet.
      if (!(err instanceof SocksDialError && err.retryable) || Date.now() > deadline) throw err
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }
}
