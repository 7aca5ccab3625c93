// A misbehaving peer, as a separate process, for swarm tests: it completes the real oht
// connection handshake (so it reaches the swarm code) and then breaks the rules.
//   node test/helpers/peer-tool.ts <mode> <address> <link> [count] [block size] [seconds]
// modes: garbage | huge-prefix | absurd-request | not-bittorrent (then waits 5 s: prints
// `disconnected` or `still-connected`); stop-reading-requests | leaves-flood (authenticate, stop
// reading the socket, send `count` block requests / `leaves?` requests, print `attacking`, wait
// `seconds`); partial-message (`count` connections that each authenticate and send all but the
// last byte of an 8 MiB extension message); silent | idle-interested (`count` identities that
// authenticate and then say nothing, or only that they are interested).
import { randomBytes } from 'node:crypto'
import { TcpTransport, initiateHandshake } from '../../src/onion/index.ts'
import { generateNodeKeys } from '../../src/node/identity/keystore.ts'
import { deriveSwarmInfoHash, parseCapability, verifyCapOf } from '../../src/blocks/index.ts'
import { encodeMessage, PeerWire } from '../../src/swarm/index.ts'

const [mode, address, link, countArg, blockSizeArg, secondsArg] = process.argv.slice(2) as [string, string, string, string?, string?, string?]
const count = Number(countArg ?? 1000)
const blockSize = Number(blockSizeArg ?? 256 * 1024)
let waitSeconds = 5
const cap = verifyCapOf(parseCapability(link))
const infoHash = deriveSwarmInfoHash(cap.swarmKey, cap.manifestCid.bytes)
const transport = new TcpTransport()

/** A connection that proved the node key (a fresh identity each) and, with `auth`, the swarm key. */
async function login (auth: boolean, interested = true) {
  const keys = generateNodeKeys()
  const session = await initiateHandshake(await transport.dial(address), { keys, protocol: 'swarm' })
  const s = session.stream
  if (!auth) return { keys, session, s, peer: undefined }
  const peer = new PeerWire({ stream: s, initiator: true, infoHash, swarmKey: cap.swarmKey, localNodeId: new Uint8Array(Buffer.from(keys.nodeId, 'hex')), remoteNodeId: new Uint8Array(Buffer.from(session.remoteNodeId, 'hex')), maxBlockBytes: 1 << 20 })
  peer.on('close', () => {})
  await new Promise<void>((resolve, reject) => {
    peer.on('ready', () => { if (interested) peer.wire.interested(); resolve() })
    peer.on('close', err => { reject(err ?? new Error('closed before ready')) })
  })
  return { keys, session, s, peer }
}

/** An oht_v1 message as raw wire bytes, for a peer that no longer lets its wire write. */
function extended (peer: PeerWire, payload: Uint8Array, announced = payload.length): Buffer {
  const head = Buffer.alloc(6); head.writeUInt32BE(2 + announced); head[4] = 20; head[5] = peer.wire.peerExtendedMapping.oht_v1!
  return Buffer.concat([head, payload])
}

async function writeAll (s: NodeJS.WritableStream & { destroyed: boolean }, messages: Buffer[]): Promise<void> {
  for (const m of messages) if (!s.destroyed && !s.write(m)) await new Promise(resolve => { s.once('drain', resolve); s.once('close', resolve) })
}

const partials: Array<{ destroy: () => void }> = []
if (mode === 'silent' || mode === 'idle-interested') {
  // `count` identities that prove the swarm key and then say nothing (or only `interested`).
  for (let i = 0; i < count; i++) {
    const { s } = await login(true, mode === 'idle-interested')
    s.on('error', () => {})
    partials.push(s)
  }
}
if (mode === 'partial-message') {
  for (let i = 0; i < count; i++) {
    const { s, peer } = await login(true)
    s.on('error', () => {})
    s.unpipe(); s.pause()
    // All but the last byte of an 8 MiB message: the node holds the rest while it waits.
    await writeAll(s, [extended(peer!, randomBytes(8 * 1024 * 1024 - 1), 8 * 1024 * 1024)])
    partials.push(s)
  }
}
const { keys, session, s, peer: authed } = await login(mode === 'stop-reading-requests' || mode === 'leaves-flood')
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
  case 'silent':
  case 'idle-interested':
  case 'partial-message':
    waitSeconds = Number(secondsArg ?? 5)
    process.stdout.write('attacking\n')
    break
  case 'stop-reading-requests':
  case 'leaves-flood': {
    waitSeconds = Number(secondsArg ?? 5)
    const peer = authed!
    await new Promise<void>(resolve => { peer.wire.once('unchoke', () => { resolve() }) })
    // From here on nothing is read: what the node sends piles up in its own buffers.
    s.unpipe()
    s.pause()
    const messages: Buffer[] = []
    if (mode === 'stop-reading-requests') {
      // Whole blocks of a share of 4 or more blocks, all of `blockSize` (plus the 16-byte GCM tag).
      for (let i = 0; i < count; i++) {
        const m = Buffer.alloc(17); m.writeUInt32BE(13); m[4] = 6; m.writeUInt32BE(i % 4, 5); m.writeUInt32BE(0, 9); m.writeUInt32BE(blockSize + 16, 13)
        messages.push(m)
      }
    } else {
      for (let i = 0; i < count; i++) messages.push(extended(peer, encodeMessage({ t: 'leaves?', from: 0, count: 16_384 })))
    }
    await writeAll(s, messages)
    process.stdout.write('attacking\n')
    break
  }
  default: throw new Error(`unknown mode ${mode}`)
}
const result = await Promise.race([closed.then(() => 'disconnected'), new Promise(resolve => setTimeout(() => { resolve('still-connected') }, waitSeconds * 1000))])
process.stdout.write(`${String(result)}\n`)
s.destroy()
for (const p of partials) p.destroy()
await transport.close()
