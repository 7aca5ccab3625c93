// The WebTorrent leecher for bench/swarm, in its own process: adds the first seeder's .torrent
// (no trackers), adds every seeder by address, and times from `client.add` to the torrent's
// 'done' (every piece received, SHA-1-checked and written to its directory). Prints one
// BENCH_RESULT line (wall, CPU of the timed region, peak RSS of the process), then exits.
import { readFileSync } from 'node:fs'
import WebTorrent from 'webtorrent'
import { measure } from './measure.ts'
import { CLIENT_OPTIONS, destroyClient, listenOnLoopbackOnly, parseArgs } from './swarm-webtorrent-client.ts'

interface LeechArgs {
  torrent: string
  outDir: string
  peers: number[]
}

const args = parseArgs<LeechArgs>()
listenOnLoopbackOnly()
const torrentFile = readFileSync(args.torrent)
const client = new WebTorrent({ ...CLIENT_OPTIONS, torrentPort: 0 })

await measure('webtorrent', () => new Promise((resolve, reject) => {
  client.on('error', reject)
  let firstByte: number | undefined
  const t0 = performance.now()
  const torrent = client.add(torrentFile, { path: args.outDir, announce: [] })
  torrent.on('error', reject)
  torrent.once('download', () => { firstByte = performance.now() })
  const addPeers = (): void => {
    for (const port of args.peers) torrent.addPeer(`127.0.0.1:${port}`)
  }
  if (torrent.infoHash) addPeers()
  else torrent.once('infoHash', addPeers)
  torrent.once('done', () => {
    const perPeer: Record<string, number> = {}
    const encryption: Record<string, number | undefined> = {}
    for (const wire of torrent.wires) {
      const key = `${wire.remoteAddress ?? '?'}:${wire.remotePort ?? '?'}`
      perPeer[key] = wire.downloaded
      encryption[key] = wire._encryptionMethod
    }
    resolve({
      bytes: torrent.length,
      extra: {
        version: WebTorrent.VERSION,
        infoHash: torrent.infoHash,
        pieceLength: torrent.pieceLength,
        received: torrent.received,
        firstByteSeconds: firstByte != null ? (firstByte - t0) / 1000 : undefined,
        peersConnected: torrent.wires.length,
        downloadedPerPeer: perPeer,
        // bittorrent-protocol's negotiated method: 1 plaintext, 2 RC4.
        encryptionPerPeer: encryption,
        path: `${torrent.path}/${torrent.name}`
      }
    })
  })
}))

await Promise.race([destroyClient(client), new Promise(resolve => setTimeout(resolve, 10_000))])
process.exit(0)
