// TorTransport on a private Tor network on 127.0.0.1 (4 authorities that relay, client tors per
// node; see src/onion/tor/testnet.ts). One network serves every test of this file. Nothing here
// touches the real Tor network.
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { onionNameFromPublicKey, parseAddress } from '../../src/onion/address.ts'
import { digestOf, transportCompliance, within, writeAll } from '../../src/onion/compliance.ts'
import { AddressError, DialError } from '../../src/onion/transport.ts'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import { startTestNetwork } from '../helpers/tor-network.ts'
import { TorTransport, type TorTransportEvent } from '../../src/onion/tor/transport.ts'
import { SocksDialError } from '../../src/onion/tor/socks.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { ownTcpSockets } from '../helpers/tor-sockets.ts'

let network: TorTestNetwork
let clients: TorProcess[] = []
let workDir = ''

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'oht-tortest-'))
  network = await startTestNetwork()
  clients = await Promise.all([network.startClient(), network.startClient()])
})

after(async () => {
  await network?.stop()
  await rm(workDir, { recursive: true, force: true })
})

/** A transport attached to one of the shared client tors (as a node attached to a system tor). */
function attached (index: number, events?: TorTransportEvent[]): TorTransport {
  const tor = clients[index % clients.length]!
  return new TorTransport({
    tor: { kind: 'attach', port: tor.controlPort, cookieFile: tor.cookieFile },
    publishTimeoutMs: 30_000,
    dialTimeoutMs: 30_000,
    ...(events === undefined ? {} : { onEvent: (e: TorTransportEvent) => { events.push(e) } })
  })
}

let created = 0
transportCompliance('tor', {
  // Alternate between the two client tors, so server and client of a test sit on different tors.
  create: () => attached(created++),
  testTimeoutMs: 60_000,
  deadDialTimeoutMs: 5_000
})

describe('TorTransport on a private Tor network', { timeout: 120_000 }, () => {
  it('keeps its onion address across restarts with the same key file (own tor each time)', async () => {
    const keyFile = join(workDir, 'onion.key')
    const start = async (): Promise<{ transport: TorTransport, address: string, pid: number }> => {
      const transport = new TorTransport({
        tor: { kind: 'own', dataDir: join(workDir, 'own-tor'), config: network.clientConfig() },
        keyFile,
        virtualPort: 4100,
        publishTimeoutMs: 30_000,
        bootstrapTimeoutMs: 60_000
      })
      const address = await transport.listen(stream => { stream.end('hello from the service') })
      const tor = await transport.start()
      return { transport, address, pid: (tor as TorProcess).pid! }
    }
    const first = await start()
    assert.match(first.address, /^onion:[a-z2-7]{56}\.onion:4100$/)
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600, 'the key file is private')
    assert.match(await readFile(keyFile, 'utf8'), /^ED25519-V3:/)
    await first.transport.close()
    assert.throws(() => process.kill(first.pid, 0), 'the own tor is stopped with the transport')

    const second = await start()
    try {
      assert.equal(second.address, first.address)
      const client = attached(0)
      try {
        const stream = await client.dial(second.address)
        const got = await within(digestOf(stream), 30_000, 'the greeting')
        assert.equal(got.bytes, 'hello from the service'.length)
      } finally {
        await client.close()
      }
    } finally {
      await second.transport.close()
    }
  })

  it('attached to a shared tor, takes its address back after a crash left the detached service behind', async () => {
    const keyFile = join(workDir, 'shared.key')
    const options = (): ConstructorParameters<typeof TorTransport>[0] => ({
      tor: { kind: 'attach', port: clients[0]!.controlPort, cookieFile: clients[0]!.cookieFile }, keyFile, publishTimeoutMs: 30_000
    })
    const crashed = new TorTransport(options())
    const address = await crashed.listen(stream => { stream.destroy() })
    // A crash: the control connection dies without DEL_ONION; the detached service stays in tor.
    ;(await crashed.start()).control.close()
    const detached = (await clients[0]!.control.getInfo('onions/detached')).get('onions/detached') ?? ''
    assert.ok(detached.includes(address.slice(6, 62)), 'the service outlived the crashed control connection')
    const restarted = new TorTransport(options())
    const client = attached(1)
    try {
      assert.equal(await restarted.listen(stream => { stream.end('back') }), address)
      const stream = await client.dial(address)
      assert.equal((await within(digestOf(stream), 30_000, 'the greeting')).bytes, 4)
    } finally {
      await Promise.all([crashed.close(), restarted.close(), client.close()])
    }
  })

  it('fails a dial to an onion nobody publishes with a clear unreachable/timeout error, in bounded time', async () => {
    const events: TorTransportEvent[] = []
    const client = attached(1, events)
    try {
      await client.start()
      // A real Ed25519 key: tor checks that the name is a valid curve point before looking it up.
      const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
      const nobody = `onion:${onionNameFromPublicKey(publicKey)}:4001`
      // Bounded: the dial gives up at its timeout; the deadline here only catches one that does
      // not (it would keep retrying), not a loaded machine a second late.
      const err = await within(client.dial(nobody, { timeoutMs: 8_000 }).catch((e: unknown) => e), 60_000, 'the dial to give up')
      assert.ok(err instanceof DialError, String(err))
      assert.ok(err.code === 'unreachable' || err.code === 'timeout', `${err.code}: ${err.message}`)
      // "Descriptor not found" (0xF0) is retried with backoff: right after a publish it is transient.
      const retries = events.filter(e => e.type === 'dial-retry')
      assert.ok(retries.length >= 1, 'retried')
      assert.match(retries[0]!.type === 'dial-retry' ? retries[0]!.reason : '', /0xf0/)

      // A key of 32 zero bytes is a point of small order, which tor rejects: 0xF6, never retried.
      const invalid = `onion:${onionNameFromPublicKey(Buffer.alloc(32))}:4001`
      const before = events.length
      const bad = await client.dial(invalid, { timeoutMs: 8_000 }).catch((e: unknown) => e)
      assert.ok(bad instanceof SocksDialError, String(bad))
      assert.equal(bad.reply, 0xF6)
      assert.equal(bad.code, 'unreachable')
      assert.equal(events.length, before, 'no retry after 0xF6')
    } finally {
      await client.close()
    }
  })

  it('refuses every address that is not an onion, before touching the network', async () => {
    const client = attached(0)
    try {
      for (const address of ['tcp:127.0.0.1:80', '127.0.0.1:80', 'example.com:80', 'onion:abc.onion:80', 'mem:node']) {
        await assert.rejects(client.dial(address), AddressError, address)
      }
      // A well-formed v3 name with a broken checksum is refused locally too (tor would say 0xF6).
      const name = onionNameFromPublicKey(randomBytes(32))
      const broken = (name[0] === 'a' ? 'b' : 'a') + name.slice(1)
      await assert.rejects(client.dial(`onion:${broken}:80`), AddressError)
    } finally {
      await client.close()
    }
  })

  it('opens no listener except on 127.0.0.1 and connects only to tor\'s SOCKS and control ports', async () => {
    const server = attached(0)
    const client = attached(1)
    try {
      const before = new Set((await ownTcpSockets()).map(s => `${s.localPort}`))
      const address = await server.listen(stream => { stream.pipe(stream) })
      const stream: Duplex = await client.dial(address)
      const data = randomBytes(256 * 1024)
      const echoed = digestOf(stream)
      const writing = writeAll(stream, data)
      const sockets = await ownTcpSockets()
      const torPorts = new Set<number>([
        ...clients.flatMap(c => [c.controlPort, c.socks!.port]),
        ...network.authorityControlPorts
      ])
      const listeners = sockets.filter(s => s.state === 'LISTEN')
      for (const l of listeners) assert.equal(l.localAddress, '127.0.0.1', `listener on ${l.localAddress}:${l.localPort}`)
      const ownListeners = new Set(listeners.map(l => l.localPort))
      const connections = sockets.filter(s => s.state !== 'LISTEN' && !before.has(`${s.localPort}`))
      assert.ok(connections.length > 0, 'the dial shows up')
      for (const c of sockets.filter(s => s.state !== 'LISTEN')) {
        assert.equal(c.remoteAddress, '127.0.0.1', `connection to ${c.remoteAddress}:${c.remotePort}`)
        // Either an outbound connection to tor, or tor's connection into our own listener.
        assert.ok(torPorts.has(c.remotePort) || ownListeners.has(c.localPort), `unexpected connection ${c.localPort} -> ${c.remotePort}`)
      }
      assert.ok(connections.some(c => clients.some(t => t.socks!.port === c.remotePort)), 'the stream goes through tor\'s SOCKS port')
      await writing
      assert.equal((await within(echoed, 30_000, 'the echo')).bytes, data.length)
    } finally {
      await Promise.all([server.close(), client.close()])
    }
  })

  it('isolates circuits: one per peer address, and one per transport sharing a tor', async () => {
    const servers = [attached(0), attached(0)]
    const dialers = [attached(1), attached(1)]
    // Which circuit carried each stream, from the dialing tor's own STREAM events.
    const circuitOf = new Map<string, string>() // target -> circuit of the last SUCCEEDED stream
    const succeeded: Array<{ circuit: string, target: string }> = []
    const off = clients[1]!.control.onEvent(e => {
      if (e.type !== 'other' || e.name !== 'STREAM') return
      const [, , status, circuit, target] = e.text.split(' ')
      if (status === 'SUCCEEDED' && circuit !== undefined && target !== undefined) { succeeded.push({ circuit, target }); circuitOf.set(target, circuit) }
    })
    try {
      await clients[1]!.control.addEvents('STREAM')
      const [a, b] = await Promise.all(servers.map(async s => await s.listen(stream => { stream.resume() })))
      const hostOf = (address: string): string => address.slice('onion:'.length)
      const dialAndWait = async (dialer: TorTransport, address: string): Promise<string> => {
        const count = succeeded.length
        const stream = await dialer.dial(address)
        await within((async () => { while (succeeded.length === count) await new Promise(resolve => setTimeout(resolve, 10)) })(), 10_000, 'the STREAM event')
        stream.destroy()
        return succeeded[succeeded.length - 1]!.circuit
      }
      const first = await dialAndWait(dialers[0]!, a!)
      const again = await dialAndWait(dialers[0]!, a!)
      const otherPeer = await dialAndWait(dialers[0]!, b!)
      const otherNode = await dialAndWait(dialers[1]!, a!)
      // Isolation is the property: another peer or another node never shares a circuit with this
      // one. Tor may open a fresh circuit for the same peer (seen in 1 of 3 CI runs), so reuse is
      // not asserted.
      for (const c of new Set([first, again])) {
        assert.notEqual(otherPeer, c, 'another peer gets another circuit')
        assert.notEqual(otherNode, c, 'another oht node on the same tor gets another circuit')
      }
      assert.ok(circuitOf.has(hostOf(a!)), `targets seen: ${[...circuitOf.keys()].join(', ')}`)
    } finally {
      off()
      await Promise.all([...servers, ...dialers].map(async t => { await t.close() }))
    }
  })

  it('when its tor dies, the transport reports it and dials fail with a clear error', async () => {
    const events: TorTransportEvent[] = []
    const transport = new TorTransport({
      tor: { kind: 'own', dataDir: join(workDir, 'dying-tor'), config: network.clientConfig() },
      publishTimeoutMs: 30_000,
      dialTimeoutMs: 10_000,
      onEvent: e => { events.push(e) }
    })
    try {
      const address = await transport.listen(stream => { stream.destroy() })
      const tor = await transport.start() as TorProcess
      process.kill(tor.pid!, 'SIGKILL')
      await within((async () => { while (!events.some(e => e.type === 'tor-lost')) await new Promise(resolve => setTimeout(resolve, 50)) })(), 10_000, 'a tor-lost event')
      await assert.rejects(within(transport.dial(address), 20_000, 'the dial to fail'), (err: Error) => err instanceof DialError, 'a DialError, not a hang')
    } finally {
      await transport.close()
    }
  })

  it('reports publication as an event and removes the service on close (DEL_ONION)', async () => {
    const events: TorTransportEvent[] = []
    const server = attached(0, events)
    const address = await server.listen(stream => { stream.resume() })
    const published = events.find(e => e.type === 'published')
    assert.ok(published !== undefined && published.type === 'published' && published.address === address && published.uploads >= 1)
    const serviceId = parseAddress(address).transport === 'tor' ? address.slice(6, 62) : ''
    const onions = async (): Promise<string> => (await clients[0]!.control.getInfo('onions/detached')).get('onions/detached') ?? ''
    assert.match(await onions(), new RegExp(serviceId), 'attached to a shared tor, the service is detached (it outlives our control connection)')
    await server.close()
    assert.doesNotMatch(await onions(), new RegExp(serviceId), 'close() removed it')
  })
})
