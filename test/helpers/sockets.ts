import { createServer, connect, type Socket } from 'node:net'
import { once } from 'node:events'
import { DelayProxy } from '../../src/onion/tor/delay-proxy.ts'

/**
 * Two real TCP sockets on 127.0.0.1, connected to each other; with `delayMs`, through a user-space
 * proxy that delays every byte by that much each way (a far link: `close` the proxy when done).
 */
export async function socketPair (): Promise<[Socket, Socket]>
export async function socketPair (delayMs: number): Promise<[Socket, Socket, DelayProxy]>
export async function socketPair (delayMs?: number): Promise<[Socket, Socket] | [Socket, Socket, DelayProxy]> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const proxy = delayMs == null ? undefined : await DelayProxy.listen({ port: 0, targetPort: port, delayMs })
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(proxy?.port ?? port, '127.0.0.1')
  const [srv] = await accepted
  server.close()
  return proxy == null ? [client, srv] : [client, srv, proxy]
}
