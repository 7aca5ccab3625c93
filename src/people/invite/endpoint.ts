// An invite's own endpoint: a fresh address, for this one code, that the receiver dials for the
// exchange, so the DHT record never names the sender's node. Under Tor a new onion service of a
// throwaway key (DiscardPK) in front of a loopback listener; over TCP (tests, development) a new
// port on the node's own host. Removed when the code closes.
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { formatAddress, OnionStream, parseAddress, TorTransport, type Transport } from '../../onion/index.ts'

/** The onion port of invite endpoints (any port works; a fixed one says nothing more). */
export const INVITE_VIRTUAL_PORT = 4001

export interface InviteEndpoint {
  /** What the receiver dials (`onion:<56>.onion:4001`, `tcp:127.0.0.1:<port>`). */
  address: string
  close: () => Promise<void>
}

/** Opens endpoints for invites, and dials them, on the node's transport. */
export interface Rendezvous {
  open: (handler: (stream: Duplex) => void) => Promise<InviteEndpoint>
  dial: (address: string, signal?: AbortSignal) => Promise<Duplex>
}

/** Endpoints on `transport`: `ownAddress` is the node's address (a TCP endpoint listens on its host). */
export function transportRendezvous (transport: Transport, ownAddress: () => string | undefined): Rendezvous {
  return {
    dial: async (address, signal) => await transport.dial(address, signal != null ? { signal } : {}),
    open: async handler => {
      if (transport instanceof TorTransport) {
        // Tor streams carry the Tor transport's end-of-data framing (src/onion/tor/stream.ts).
        const server = await listenLoopback('127.0.0.1', socket => { handler(new OnionStream(socket)) })
        try {
          const service = await transport.publishLocalService((server.address() as AddressInfo).port, INVITE_VIRTUAL_PORT)
          return {
            address: formatAddress({ transport: 'tor', host: `${service.serviceId}.onion`, port: INVITE_VIRTUAL_PORT }),
            close: async () => { await service.remove(); await closeServer(server) }
          }
        } catch (err) {
          await closeServer(server)
          throw err
        }
      }
      if (transport.kind === 'tcp') {
        const own = ownAddress()
        const parsed = own != null ? parseAddress(own) : undefined
        if (parsed?.transport !== 'tcp') throw new Error('an invite needs a listening node')
        const server = await listenLoopback(parsed.host, handler)
        return { address: formatAddress({ transport: 'tcp', host: parsed.host, port: (server.address() as AddressInfo).port }), close: async () => { await closeServer(server) } }
      }
      throw new Error(`invites do not run over the ${transport.kind} transport`)
    }
  }
}

async function listenLoopback (host: string, handler: (socket: Socket) => void): Promise<Server> {
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: false, noDelay: true }, socket => {
    sockets.add(socket)
    socket.on('close', () => { sockets.delete(socket) })
    socket.on('error', () => {})
    handler(socket)
  })
  server.on('close', () => { for (const s of sockets) s.destroy() })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port: 0, exclusive: true }, () => { server.off('error', reject); resolve() })
  })
  return server
}

async function closeServer (server: Server): Promise<void> {
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
}
