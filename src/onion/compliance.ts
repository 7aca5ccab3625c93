// The reusable compliance suite every Transport must pass (memory, TCP, later Tor), in the
// spirit of libp2p's interface-compliance-tests. It registers node:test cases, so import it
// from test files only (index.ts does not export it):
//
//   transportCompliance('tcp', { create: () => new TcpTransport() })
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { describe, it } from 'node:test'
import { parseAddress } from './address.ts'
import { AddressError, DialError, ListenError, type Transport } from './transport.ts'

export interface ComplianceOptions {
  /** A fresh transport that is not listening yet. */
  create: () => Transport | Promise<Transport>
  /** Bytes echoed through one connection; default 5 MiB. */
  echoBytes?: number
  /** Concurrent connections; default 50. */
  connections?: number
  /** Limit of each test; default 15 s (raise it for Tor). */
  testTimeoutMs?: number
  /** Dial timeout for the dead-address test; default 2 s. */
  deadDialTimeoutMs?: number
}

/** Rejects if `promise` does not settle within `ms` (every wait in the suite is bounded). */
export async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms) })
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves when the stream has emitted 'close'. */
export async function closedStream (stream: Duplex): Promise<void> {
  if (stream.closed) return
  await new Promise<void>(resolve => stream.once('close', () => { resolve() }))
}

/** Reads a stream to its end (or close), returning its SHA-256 and length. */
export async function digestOf (stream: Duplex): Promise<{ sha256: string, bytes: number }> {
  const hash = createHash('sha256')
  let bytes = 0
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => { hash.update(chunk); bytes += chunk.length })
    stream.once('end', resolve)
    stream.once('close', resolve)
    stream.once('error', reject)
  })
  return { sha256: hash.digest('hex'), bytes }
}

/** Writes `data` in chunks, honouring backpressure, then ends the stream. */
export async function writeAll (stream: Duplex, data: Buffer, chunkBytes = 64 * 1024): Promise<void> {
  for (let offset = 0; offset < data.length; offset += chunkBytes) {
    if (!stream.write(data.subarray(offset, offset + chunkBytes))) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          stream.off('drain', onDrain); stream.off('close', onClose); stream.off('error', done)
          if (err != null) reject(err); else resolve()
        }
        const onDrain = (): void => { done() }
        const onClose = (): void => { done(new Error('stream closed while writing')) }
        stream.on('drain', onDrain); stream.on('close', onClose); stream.on('error', done)
      })
    }
  }
  stream.end()
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex')

export function transportCompliance (name: string, options: ComplianceOptions): void {
  const echoBytes = options.echoBytes ?? 5 * 1024 * 1024
  const connections = options.connections ?? 50
  const timeout = options.testTimeoutMs ?? 15_000
  const deadDialTimeoutMs = options.deadDialTimeoutMs ?? 2_000
  const wait = Math.max(2_000, Math.floor(timeout / 2))

  /** Runs `body` with fresh transports and always closes them. */
  async function using (count: number, body: (...transports: Transport[]) => Promise<void>): Promise<void> {
    const transports: Transport[] = []
    try {
      for (let i = 0; i < count; i++) transports.push(await options.create())
      await body(...transports)
    } finally {
      await within(Promise.all(transports.map(async t => { await t.close() })), wait, 'close()')
    }
  }

  const echo = (stream: Duplex): void => { stream.pipe(stream) }

  describe(`${name} transport compliance`, { timeout }, () => {
    it('listens, dials, and carries bytes both ways', async () => {
      await using(2, async (server, client) => {
        // The first accepted stream that carries data: tor may hand the service a stream it then
        // abandons (a client-side retry of the same dial on another circuit), reset at once.
        const pinged = Promise.withResolvers<{ stream: Duplex, remote: string, ping: Buffer }>()
        const address = await server!.listen((stream, info) => {
          stream.on('error', () => {})
          readBytes(stream, 4).then(ping => { pinged.resolve({ stream, remote: info.remote, ping }) }, () => {})
        })
        assert.equal(parseAddress(address).transport, server!.kind, `listen() returned ${address}`)
        const stream = await client!.dial(address)
        stream.write('ping')
        const { stream: theirs, remote, ping } = await within(pinged.promise, wait, 'the connection and its ping')
        assert.equal(typeof remote, 'string')
        assert.equal(ping.toString(), 'ping')
        theirs.write('pong')
        assert.equal((await within(readBytes(stream, 4), wait, 'pong')).toString(), 'pong')
        stream.destroy()
      })
    })

    it(`echoes ${echoBytes} bytes intact`, async () => {
      await using(2, async (server, client) => {
        const address = await server!.listen(echo)
        const stream = await client!.dial(address)
        const data = randomBytes(echoBytes)
        const received = digestOf(stream)
        await within(writeAll(stream, data), timeout, 'the upload')
        const got = await within(received, timeout, 'the echo')
        assert.equal(got.bytes, data.length)
        assert.equal(got.sha256, sha256(data))
      })
    })

    it('is not half-open: when one side ends, both streams close', async () => {
      await using(2, async (server, client) => {
        // The accepted stream that carries the client's byte (tor may also hand the service a
        // stream of an abandoned dial attempt, see above).
        const accepted = Promise.withResolvers<Duplex>()
        const address = await server!.listen(stream => {
          stream.on('error', () => {})
          readBytes(stream, 1).then(() => { accepted.resolve(stream) }, () => {})
        })
        const stream = await client!.dial(address)
        stream.write('x')
        const theirs = await within(accepted.promise, wait, 'the connection')
        theirs.resume()
        stream.resume()
        stream.end()
        await within(Promise.all([closedStream(theirs), closedStream(stream)]), wait, 'both ends to close')
      })
    })

    it(`carries ${connections} concurrent connections`, async () => {
      await using(2, async (server, client) => {
        const address = await server!.listen(echo)
        await within(Promise.all(Array.from({ length: connections }, async (_, i) => {
          const stream = await client!.dial(address)
          const data = Buffer.concat([Buffer.from(`connection ${i}\n`), randomBytes(16 * 1024)])
          const received = digestOf(stream)
          await writeAll(stream, data)
          const got = await received
          assert.equal(got.sha256, sha256(data), `connection ${i}`)
        })), timeout, 'every connection')
      })
    })

    it('fails to dial a dead address, giving up at its timeout', async () => {
      await using(2, async (dead, client) => {
        const address = await dead!.listen(stream => { stream.destroy() })
        await dead!.close()
        // A deadline far past the dial's own that only catches a dial ignoring its timeout (a
        // loaded machine is late by seconds, not by `wait`).
        await assert.rejects(within(client!.dial(address, { timeoutMs: deadDialTimeoutMs }), deadDialTimeoutMs + wait, 'the dial to give up'), DialError)
      })
    })

    it('close() ends open streams on both sides; later dials fail', async () => {
      await using(2, async (server, client) => {
        const accepted: Duplex[] = []
        const address = await server!.listen(stream => { accepted.push(stream); stream.resume() })
        const streams = await Promise.all([0, 1, 2].map(async () => await client!.dial(address)))
        for (const s of streams) s.resume()
        // At least three: tor may hand the service a fourth, the stream of a dial attempt it
        // abandoned and retried on another circuit; waiting for exactly 3 then never ends.
        await until(() => accepted.length >= 3, wait, 'three connections')
        await within(server!.close(), wait, 'server close()')
        await within(Promise.all([...accepted, ...streams].map(closedStream)), wait, 'every stream to close')
        await assert.rejects(client!.dial(address, { timeoutMs: deadDialTimeoutMs }), DialError)
        await assert.rejects(server!.dial(address), (err: unknown) => err instanceof DialError && err.code === 'closed')
        await assert.rejects(server!.listen(() => {}), ListenError)
      })
    })

    it('aborts a dial', async () => {
      await using(2, async (server, client) => {
        const address = await server!.listen(stream => { stream.resume() })
        const isAborted = (err: unknown): boolean => err instanceof DialError && err.code === 'aborted'
        await assert.rejects(client!.dial(address, { signal: AbortSignal.abort() }), isAborted)
        const controller = new AbortController()
        const dialing = client!.dial(address, { signal: controller.signal })
        controller.abort()
        await assert.rejects(dialing, isAborted)
        // The transport still works afterwards.
        const stream = await client!.dial(address)
        stream.destroy()
      })
    })

    it('refuses malformed addresses and a second listen', async () => {
      await using(1, async (transport) => {
        await transport!.listen(() => {})
        await assert.rejects(transport!.listen(() => {}), ListenError)
        await assert.rejects(transport!.dial('not an address'), AddressError)
        await assert.rejects(transport!.dial('tcp:localhost:4001'), AddressError)
      })
    })
  })
}

/** Reads exactly `n` bytes (paused mode), leaving the rest in the stream. */
async function readBytes (stream: Duplex, n: number): Promise<Buffer> {
  const parts: Buffer[] = []
  let have = 0
  while (have < n) {
    const chunk = stream.read() as Buffer | null
    if (chunk === null) {
      if (stream.readableEnded || stream.destroyed) throw new Error(`stream ended after ${have} of ${n} bytes`)
      await new Promise<void>(resolve => {
        const go = (): void => { stream.off('readable', go); stream.off('close', go); resolve() }
        stream.on('readable', go); stream.on('close', go)
      })
      continue
    }
    parts.push(chunk)
    have += chunk.length
  }
  const all = Buffer.concat(parts)
  if (all.length > n) stream.unshift(all.subarray(n))
  return all.subarray(0, n)
}

/** Polls `condition` every 5 ms; gives up (throws) after `ms`. */
export async function until (condition: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}
