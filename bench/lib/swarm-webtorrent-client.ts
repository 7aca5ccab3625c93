// Shared by bench/swarm's WebTorrent peers (each its own process): the client options that turn
// every discovery mechanism off, so peers meet only through torrent.addPeer('127.0.0.1:PORT'),
// and a guard that keeps WebTorrent's listening socket on loopback.
import net from 'node:net'
import type WebTorrent from 'webtorrent'

type ClientOptions = NonNullable<ConstructorParameters<typeof WebTorrent>[0]>

/** No DHT, trackers, local service discovery, µTP, web seeds, NAT mapping or peer exchange. */
export const CLIENT_OPTIONS: ClientOptions = {
  dht: false,
  tracker: false,
  lsd: false,
  utp: false,
  webSeeds: false,
  natUpnp: false,
  natPmp: false,
  utPex: false
}

/**
 * WebTorrent listens with `server.listen(port, cb)`, i.e. on every interface, and has no option
 * for the host. Rewrites such calls in this process to listen on 127.0.0.1 only.
 */
export function listenOnLoopbackOnly (): void {
  const original = net.Server.prototype.listen
  const patched = function (this: net.Server, ...args: unknown[]): net.Server {
    if (typeof args[0] === 'number' && (args.length === 1 || typeof args[1] === 'function')) args.splice(1, 0, '127.0.0.1')
    return (original as (...a: unknown[]) => net.Server).apply(this, args)
  }
  net.Server.prototype.listen = patched as typeof original
}

export const READY_MARK = 'SWARM_READY '

export function parseArgs<T> (): T {
  const raw = process.argv[2]
  if (raw == null) throw new Error('missing the JSON argument (run this through bench/swarm.ts)')
  return JSON.parse(raw) as T
}

/** Ends the process when the parent goes away (its end of our stdin closes) or asks us to. */
export function exitWithParent (cleanup: () => Promise<void>): void {
  let exiting = false
  const exit = (code: number): void => {
    if (exiting) return
    exiting = true
    const hard = setTimeout(() => process.exit(code), 5000)
    hard.unref()
    cleanup().catch(() => {}).finally(() => process.exit(code))
  }
  process.stdin.on('end', () => exit(0))
  process.stdin.on('error', () => exit(0))
  process.stdin.resume()
  process.on('SIGTERM', () => exit(0))
  process.on('SIGINT', () => exit(0))
}

export function destroyClient (client: WebTorrent): Promise<void> {
  return new Promise(resolve => { client.destroy(() => resolve()) })
}
