// A misbehaving peer, as a separate process, for swarm tests: it completes the real oht
// connection handshake (so it reaches the swarm code) and then breaks the rules.
//   node test/helpers/peer-tool.ts <mode> <address> <link>
// modes: garbage | huge-prefix | absurd-request | not-bittorrent
import { randomBytes } from 'node:crypto'
import { TcpTransport, initiateHandshake } from '../../src/onion/index.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import { deriveSwarmInfoHash, parseCapability, verifyCapOf } from '../../src/blocks/index.ts'
import { PeerWire } from '../../src/swarm/index.ts'

const [mode, address, link] = process.argv.slice(2) as [string, string, string]
const cap = verifyCapOf(parseCapability(link))
const infoHash = deriveSwarmInfoHash(cap.swarmKey, cap.manifestCid.bytes)
const transport = new TcpTransport()
const keys = generateNodeKeys()
const session = await initiateHandshake(await transport.dial(address), { keys, protocol: 'swarm' })
const s = session.stream
const btHandshake = Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0]), infoHash, Buffer.from(keys.nodeId, 'hex').subarray(0, 20)])
const closed = new Promise<void>(resolve => { s.once('close', () => { resolve() }); s.on('error', () => {}) })
switch (mode) {
  case 'not-bittorrent': s.write(randomBytes(4096)); break
  case 'garbage': {
    // Random bytes after a valid handshake, until the node hangs up (at most 16 MiB).
    s.write(btHandshake)
    let sent = 0
    const more = (): void => { while (sent < 16 * 1024 * 1024 && !s.destroyed) { sent += 64 * 1024; if (!s.write(randomBytes(64 * 1024))) { s.once('drain', more); return } } }
    more()
    break
  }
  case 'huge-prefix': {
    const prefix = Buffer.alloc(5); prefix.writeUInt32BE(0xffffffff); prefix[4] = 7
    s.write(btHandshake); s.write(prefix); s.write(randomBytes(1024 * 1024)); break
  }
  case 'absurd-request': {
    // A properly authenticated peer (it holds the capability) that asks for impossible blocks.
    const peer = new PeerWire({ stream: s, initiator: true, infoHash, swarmKey: cap.swarmKey, localNodeId: new Uint8Array(Buffer.from(keys.nodeId, 'hex')), remoteNodeId: new Uint8Array(Buffer.from(session.remoteNodeId, 'hex')), maxBlockBytes: 1 << 20 })
    peer.on('close', () => {})
    peer.on('ready', () => {
      peer.wire.on('unchoke', () => { peer.wire.request(0x7fffffff, 0, 0x40000000, () => {}) })
      peer.wire.interested()
    })
    break
  }
  default: throw new Error(`unknown mode ${mode}`)
}
const result = await Promise.race([closed.then(() => 'disconnected'), new Promise(resolve => setTimeout(() => { resolve('still-connected') }, 5000))])
process.stdout.write(`${String(result)}\n`)
s.destroy()
await transport.close()
