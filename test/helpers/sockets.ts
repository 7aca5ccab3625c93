import { createServer, connect, type Socket } from 'node:net'
import { once } from 'node:events'

/** Two real TCP sockets on 127.0.0.1, connected to each other. */
export async function socketPair (): Promise<[Socket, Socket]> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const client = connect(port, '127.0.0.1')
  const [srv] = await accepted
  server.close()
  return [client, srv]
}
