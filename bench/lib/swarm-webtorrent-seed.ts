// A WebTorrent seeder for bench/swarm, in its own process. The first seeder seeds the file with
// `client.seed` (hashing it) and writes the .torrent; the others add that .torrent with the same
// file as their store (skipVerify: the file is the one the first seeder just hashed). Each listens
// on 127.0.0.1:PORT, prints one READY line, and runs until SIGTERM or until its stdin closes.
import { readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname } from 'node:path'
import WebTorrent, { type Torrent } from 'webtorrent'
import { CLIENT_OPTIONS, READY_MARK, destroyClient, exitWithParent, listenOnLoopbackOnly, parseArgs } from './swarm-webtorrent-client.ts'

interface SeedArgs {
  file: string
  port: number
  /** First seeder: where to write the .torrent. */
  torrentOut?: string
  /** Other seeders: the first seeder's .torrent. */
  torrentIn?: string
}

const args = parseArgs<SeedArgs>()
listenOnLoopbackOnly()
const client = new WebTorrent({ ...CLIENT_OPTIONS, torrentPort: args.port })
exitWithParent(() => destroyClient(client))
const fail = (err: unknown): void => {
  process.stderr.write(`webtorrent seeder on port ${args.port}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`)
  process.exit(1)
}
client.on('error', fail)

const t0 = performance.now()
function ready (torrent: Torrent): void {
  const check = (): void => {
    if (!torrent.done) return
    clearInterval(timer)
    const address = client.address()
    process.stdout.write(`${READY_MARK}${JSON.stringify({
      infoHash: torrent.infoHash,
      name: torrent.name,
      length: torrent.length,
      pieceLength: torrent.pieceLength,
      port: address?.port,
      host: address?.address,
      setupSeconds: (performance.now() - t0) / 1000,
      version: WebTorrent.VERSION
    })}\n`)
  }
  const timer = setInterval(check, 50)
  check()
}

if (args.torrentIn == null) {
  const torrent = client.seed(args.file, { announce: [] }, t => {
    if (args.torrentOut != null) writeFileSync(args.torrentOut, t.torrentFile)
    ready(t)
  })
  torrent.on('error', fail)
} else {
  const torrent = client.add(readFileSync(args.torrentIn), { path: dirname(args.file), skipVerify: true, announce: [] }, t => {
    if (t.name !== basename(args.file)) fail(new Error(`the .torrent names ${t.name}, not ${basename(args.file)}`))
    ready(t)
  })
  torrent.on('error', fail)
}
