// The daemon's API between real daemons on 127.0.0.1: every endpoint, the token and Host checks
// on the unix socket and on TCP, transfers (pause, resume from the persisted bitfield, cancel,
// file priorities) and the WebSocket event stream during a real, rate-limited transfer.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, createHash } from 'node:crypto'
import { request } from 'node:http'
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { ohtJson, tempDir, exists } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ApiError, DaemonClient } from '../../src/node/api/client.ts'
import type { ApiEvent } from '../../src/node/api/protocol.ts'
import type { TransferInfo } from '../../src/node/transfers/transfers.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Raw { status: number, body: string }

/** A raw HTTP request (no client conveniences), over the unix socket or TCP. */
async function raw (where: { socketPath: string } | { host: string, port: number }, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Raw> {
  return await new Promise((resolve, reject) => {
    const req = request({ ...where, method, path, headers, setHost: false }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }) })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** Polls `check` every 100 ms until it returns a value, for at most `ms`. */
async function until<T> (what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    const v = await check()
    if (v !== undefined) return v
    await sleep(100)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

interface Setup { dir: string, seeder: Daemon, leecher: Daemon, client: DaemonClient, tcp: { host: string, port: number, token: string } }

async function setup (t: Parameters<typeof tempDir>[0], seederRate = '1MiB'): Promise<Setup> {
  const dir = await tempDir(t, 'oht-api-')
  const [seeder, leecher] = await Promise.all([
    startDaemon(join(dir, 'seeder'), ['--max-upload', seederRate]),
    startDaemon(join(dir, 'leecher'), ['--api-tcp', '127.0.0.1:0'])
  ])
  t.after(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  const client = new DaemonClient(join(leecher.dataDir, 'api.sock'))
  const st = await client.status()
  assert.ok(st.api?.tcp != null, 'the leecher serves the API on TCP too')
  const [, host, port] = /^(.*):(\d+)$/.exec(st.api.tcp)!
  const token = (await readFile(join(leecher.dataDir, 'api.token'), 'utf8')).trim()
  return { dir, seeder, leecher, client, tcp: { host: host!, port: Number(port), token } }
}

test('token and Host checks: unix socket and TCP, HTTP and WebSocket', async t => {
  const { leecher, tcp } = await setup(t)
  const sock = { socketPath: join(leecher.dataDir, 'api.sock') }
  const net = { host: tcp.host, port: tcp.port }
  const tokenFile = await stat(join(leecher.dataDir, 'api.token'))
  assert.equal(tokenFile.mode & 0o777, 0o600, 'the token file is 0600')
  assert.equal((await stat(sock.socketPath)).mode & 0o777, 0o600, 'the socket is 0600')

  // Unix socket: no token needed, but the Host must be a loopback name and no Origin.
  assert.equal((await raw(sock, 'GET', '/v0/status', { host: 'localhost' })).status, 200)
  assert.equal((await raw(sock, 'GET', '/v0/status', { host: 'evil.example' })).status, 403)
  assert.equal((await raw(sock, 'GET', '/v0/status', { host: 'localhost', origin: 'http://evil.example' })).status, 403)

  // TCP: the token is required, and the Host check applies as well.
  const auth = { authorization: `Bearer ${tcp.token}` }
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}`, ...auth })).status, 200)
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}` })).status, 401, 'no token')
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}`, authorization: `Bearer ${'x'.repeat(tcp.token.length)}` })).status, 401, 'wrong token')
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}`, authorization: `Bearer ${tcp.token}x` })).status, 401, 'longer token')
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `attacker.example:${tcp.port}`, ...auth })).status, 403, 'DNS rebinding: foreign Host')
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}`, origin: 'http://evil.example', ...auth })).status, 403, 'a web page, even with the token')
  assert.equal((await raw(net, 'GET', '/v0/status', { host: `127.0.0.1:${tcp.port}`, origin: `http://127.0.0.1:${tcp.port}`, ...auth })).status, 403, 'any Origin: the API is not for browsers')
  // HTTP/1.1 without Host: refused before the API sees it (Node's requireHostHeader).
  assert.equal((await raw(net, 'GET', '/v0/status', { ...auth })).status, 400, 'no Host header')
  assert.equal((await raw(sock, 'GET', '/v0/status', {})).status, 400, 'no Host header on the socket')
  const viaTcp = new DaemonClient('/nonexistent', { tcp })
  assert.equal((await viaTcp.status()).nodeId, leecher.nodeId)

  // WebSocket upgrades are checked the same way.
  const wsStatus = async (headers: Record<string, string>): Promise<number> => await new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${tcp.host}:${tcp.port}/v0/events`, { headers })
    ws.on('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); ws.terminate() })
    ws.on('open', () => { resolve(101); ws.close() })
    ws.on('error', err => { if (!/Unexpected server response/.test(err.message)) reject(err) })
  })
  assert.equal(await wsStatus({ host: `127.0.0.1:${tcp.port}` }), 401)
  assert.equal(await wsStatus({ host: `evil.example:${tcp.port}`, ...auth }), 403)
  assert.equal(await wsStatus({ host: `127.0.0.1:${tcp.port}`, origin: 'http://evil.example', ...auth }), 403, 'a web page opening a WebSocket')
  assert.equal(await wsStatus({ host: `127.0.0.1:${tcp.port}`, ...auth }), 101)
  const events = viaTcp.events(() => {})
  await events.ready
  events.close()
})

test('endpoints: status, shares, peers, config, DHT, pins, malformed requests', async t => {
  const { dir, seeder, leecher, client } = await setup(t)
  const sock = { socketPath: join(leecher.dataDir, 'api.sock') }
  const json = { host: 'localhost', 'content-type': 'application/json' }
  const st = await client.status()
  assert.equal(st.nodeId, leecher.nodeId)
  assert.equal(st.daemon, true)
  assert.equal(st.transport, 'tcp')
  assert.equal(st.address, leecher.address)
  assert.equal(st.tor, undefined, 'no Tor status until Tor is wired')
  assert.equal(typeof st.dht?.nodes, 'number', 'the DHT routing table size')
  assert.deepEqual(await client.list(), [])
  assert.deepEqual(await client.transfers(), [])
  assert.deepEqual((await client.peers()).swarms, [])

  // DHT and pins, wired by their modules over api.ts's placeholders.
  const dht = await client.call('GET', '/dht') as { stats: { nodeId: string } | null, peers: unknown[] }
  assert.equal(dht.stats?.nodeId, leecher.nodeId)
  assert.ok(Array.isArray(dht.peers))
  assert.ok(Array.isArray((await client.call('GET', '/pins') as { pins: unknown[] }).pins))
  await assert.rejects(client.call('POST', '/dht/get', { ref: 'nonsense' }), (err: ApiError) => err.status === 400 && /not a DHT reference/.test(err.message))
  await assert.rejects(client.call('GET', '/nope'), (err: ApiError) => err.status === 404)

  // Config over the API: validated like the CLI.
  const cfg = await client.call('GET', '/config') as { path: string, values: Record<string, unknown>, keys: Record<string, unknown> }
  assert.equal(cfg.path, join(leecher.dataDir, 'config.json'))
  assert.ok('maxUpload' in cfg.keys)
  await client.call('PUT', '/config/maxUpload', { value: '3MiB' })
  assert.deepEqual((await client.call('GET', '/config') as { values: unknown }).values, { maxUpload: '3MiB' })
  await assert.rejects(client.call('PUT', '/config/maxUpload', { value: 'lots' }), (err: ApiError) => err.status === 400 && err.code === 'badValue')
  await assert.rejects(client.call('PUT', '/config/nonsense', { value: '1' }), (err: ApiError) => err.status === 400 && err.code === 'unknownKey')
  await client.call('DELETE', '/config/maxUpload')
  assert.deepEqual((await client.call('GET', '/config') as { values: unknown }).values, {})

  // Malformed and oversized requests.
  assert.equal((await raw(sock, 'POST', '/v0/transfers', json, '{not json')).status, 400)
  assert.equal((await raw(sock, 'POST', '/v0/transfers', json, JSON.stringify({ link: 'oht://nonsense', output: '/tmp/x' }))).status, 400)
  assert.equal((await raw(sock, 'POST', '/v0/transfers', json, JSON.stringify({ link: 'x', output: 'relative' }))).status, 400)
  assert.equal((await raw(sock, 'POST', '/v0/transfers', json, Buffer.alloc(2 * 1024 * 1024, 0x20))).status, 413)
  assert.equal((await raw(sock, 'GET', '/v0/transfers/ffffffffffff', json)).status, 404)
  assert.equal((await raw(sock, 'POST', '/v0/transfers/ffffffffffff/pause', json, '{}')).status, 404)
  assert.equal((await raw(sock, 'GET', '/v0/transfers/x?cells=abc', json)).status, 400)

  // Peers of a real swarm: after a small fetch the leecher keeps seeding with the seeder as a peer.
  const data = randomBytes(300 * 1024)
  await writeFile(join(dir, 'small.bin'), data)
  const s = (await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', join(dir, 'small.bin')])).value
  const fetched = await client.fetch(s.link, { output: join(dir, 'out-small'), peers: [seeder.address] })
  assert.equal(sha(await readFile(fetched.path)), sha(data))
  const peers = await client.peers()
  assert.equal(peers.transport, 'tcp')
  const swarm = peers.swarms.find(x => x.swarm === s.id)
  assert.ok(swarm != null, 'the fetched share has a swarm')
  assert.deepEqual(swarm.peers.map(p => p.id), [seeder.nodeId])
  assert.ok(swarm.peers[0]!.received >= data.length)
})

test('transfers: pause stops traffic, resume continues from the persisted bitfield, events are coalesced', async t => {
  const { dir, seeder, client } = await setup(t, '1MiB')
  const data = randomBytes(6 * 1024 * 1024)
  await writeFile(join(dir, 'film.bin'), data)
  const s = (await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', join(dir, 'film.bin')])).value
  const out = join(dir, 'out')

  const events: Array<{ at: number, e: ApiEvent }> = []
  const sub = client.events(e => { events.push({ at: Date.now(), e }) })
  await sub.ready
  t.after(() => { sub.close() })

  const added = await client.addTransfer(s.link, { output: out, peers: [seeder.address] })
  assert.equal(added.state, 'fetching')
  assert.equal(added.shareId, s.id)
  assert.ok(!JSON.stringify(added).includes(s.link), 'the link (a secret) is not echoed')
  await assert.rejects(client.addTransfer(s.link, { output: out, peers: [seeder.address] }), /already fetches/)

  // Some progress, then pause.
  const before = await until('1 MiB fetched', 20_000, async () => { const x = await client.transfer(added.id, 12); return x.bytesDone >= 1024 * 1024 ? x : undefined })
  assert.equal(before.blockCount, 24)
  assert.equal(before.blockMap.length, 12, 'the block map has the asked width (2 blocks a cell)')
  assert.equal((await client.transfer(added.id, 500)).blockMap.length, 24, 'never wider than one cell per block')
  assert.match(before.blockMap, /^[#>+.]+$/)
  assert.ok(/[#+]/.test(before.blockMap) && before.blockMap.includes('.'), `held and missing blocks: ${before.blockMap}`)
  const full = (await client.transfer(added.id)).blockMap
  assert.ok(full.includes('#') && /^[#>.]+$/.test(full), `one cell per block: ${full}`)
  assert.ok(before.peerList.length === 1 && before.peerList[0]!.id === seeder.nodeId)
  assert.ok(before.blockSize > 0)
  const paused = await client.pauseTransfer(added.id)
  assert.equal(paused.state, 'paused')
  await assert.rejects(client.pauseTransfer(added.id), (err: ApiError) => err.status === 409)
  const heldAtPause = (await client.transfer(added.id)).bytesDone
  const upAtPause = (await client.call('GET', '/status') as { swarms: unknown[] }).swarms
  assert.deepEqual(upAtPause, [], 'the paused swarm is closed: no peers, no traffic')
  const seederClient = new DaemonClient(join(seeder.dataDir, 'api.sock'))
  const sentAtPause = (await seederClient.status()).swarms.find(x => x.id === s.id)!.uploaded
  await sleep(1500)
  const sentLater = (await seederClient.status()).swarms.find(x => x.id === s.id)!.uploaded
  assert.ok(sentLater - sentAtPause <= 512 * 1024, `the seeder sends (almost) nothing while paused: ${sentLater - sentAtPause} bytes`)
  assert.ok(heldAtPause < data.length)

  const resumed = await client.resumeTransfer(added.id)
  assert.equal(resumed.state, 'fetching')
  const done = await until('the transfer completes', 30_000, async () => { const x = await client.transfer(added.id); return x.state === 'seeding' || x.state === 'complete' ? x : x.state === 'failed' ? assert.fail(x.error) : undefined })
  assert.equal(sha(await readFile(join(out, 'film.bin'))), sha(data))
  assert.ok(done.result != null && done.result.resumedBlocks > 0, 'resumed from the recorded blocks')
  const sentTotal = (await seederClient.status()).swarms.find(x => x.id === s.id)!.uploaded
  assert.ok(sentTotal < data.length * 1.25, `blocks fetched before the pause were not sent again: ${sentTotal} for ${data.length}`)

  // Events: typed, per transfer, progress coalesced to at most 4 a second, no per-block flood.
  // Read once the last state change (seeding) has arrived.
  const isState = (x: { e: ApiEvent }, state: string): boolean => x.e.type === 'transfer:state' && 'id' in x.e && x.e.id === added.id && (x.e as { state: string }).state === state
  await until('the seeding state event', 30_000, async () => events.some(x => isState(x, 'seeding')) ? true : undefined)
  const mine = events.filter(x => 'id' in x.e && x.e.id === added.id)
  const types = new Set(events.map(x => x.e.type))
  assert.ok(types.has('transfer:added') && types.has('transfer:metadata') && types.has('transfer:state') && types.has('transfer:progress'), [...types].join(','))
  const states = mine.filter(x => x.e.type === 'transfer:state').map(x => (x.e as { state: string }).state)
  assert.deepEqual(states.slice(-3), ['paused', 'fetching', 'seeding'], 'a finished fetch seeds (daemon-persist.test.ts: until a seed limit or unshare)')
  const swarmEvents = events.filter(x => x.e.type === 'swarm').map(x => (x.e as { event: { type: string } }).event.type)
  assert.ok(swarmEvents.includes('peer:connected'), swarmEvents.join(','))
  assert.ok(!swarmEvents.some(type => type.startsWith('block:')), 'per-block events are not streamed')
  const progress = mine.filter(x => x.e.type === 'transfer:progress')
  assert.ok(progress.length >= 5, `progress events: ${progress.length}`)
  // Sent at most every 250 ms by the daemon's clock (its stamp). When they arrive is not asserted:
  // a loaded machine delivers a backlog at once.
  const sentAt = progress.map(x => (x.e as { at: number }).at)
  for (let i = 1; i < sentAt.length; i++) assert.ok(sentAt[i]! - sentAt[i - 1]! >= 240, `progress events ${sentAt[i]! - sentAt[i - 1]!} ms apart`)

  // Cancel of a finished transfer forgets it; a second cancel is a 404.
  await client.cancelTransfer(added.id)
  assert.deepEqual((await client.transfers()).map(x => x.id), [])
  await assert.rejects(client.cancelTransfer(added.id), (err: ApiError) => err.status === 404)
})

test('transfers: file priorities skip a file; cancel stops a running transfer; oht fetch goes through a transfer', async t => {
  const { dir, seeder, leecher, client } = await setup(t, '2MiB')
  const src = join(dir, 'album')
  await mkdir(src)
  const a = randomBytes(3 * 1024 * 1024)
  const b = randomBytes(3 * 1024 * 1024)
  await writeFile(join(src, 'a.bin'), a)
  await writeFile(join(src, 'b.bin'), b)
  const s = (await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', src])).value

  const out = join(dir, 'out')
  const tr = await client.addTransfer(s.link, { output: out, peers: [seeder.address] })
  const withFiles = await until('the file list', 15_000, async () => { const x = await client.transfer(tr.id); return x.files.length === 2 ? x : undefined })
  assert.deepEqual(withFiles.files.map(f => [f.path, f.priority]).sort(), [['album/a.bin', 'normal'], ['album/b.bin', 'normal']])
  await assert.rejects(client.setFilePriorities(tr.id, { 'album/none': 'skip' }), (err: ApiError) => err.status === 400 && /no file/.test(err.message))
  await assert.rejects(client.setFilePriorities(tr.id, { 'album/a.bin': 'urgent' }), (err: ApiError) => err.status === 400 && /unknown priority/.test(err.message))
  await assert.rejects(client.setFilePriorities(tr.id, { 'album/a.bin': 'skip', 'album/b.bin': 'skip' }), /every file would be skipped/)
  const narrowed = await client.setFilePriorities(tr.id, { 'album/b.bin': 'skip' })
  assert.deepEqual(narrowed.files.find(f => f.path === 'album/b.bin')?.priority, 'skip')
  const done = await until('the narrowed transfer completes', 30_000, async () => { const x = await client.transfer(tr.id); return x.state === 'seeding' || x.state === 'complete' ? x : x.state === 'failed' ? assert.fail(x.error) : undefined })
  assert.equal(done.bytesTotal, a.length, 'only the selected file counts')
  assert.equal(sha(await readFile(join(out, 'album', 'a.bin'))), sha(a))
  assert.equal(await exists(join(out, 'album', 'b.bin')), false, 'the skipped file is not written')

  // Cancel while running: the transfer disappears, its swarm closes, the .part stays. (Another
  // share: one swarm feeds one output, so the same share cannot go to a second place at once.)
  await mkdir(join(dir, 'other'))
  await writeFile(join(dir, 'other', 'c.bin'), randomBytes(4 * 1024 * 1024))
  const s2 = (await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', join(dir, 'other')])).value
  const out2 = join(dir, 'out2')
  const running = await client.addTransfer(s2.link, { output: out2, peers: [seeder.address] })
  await until('some bytes', 15_000, async () => (await client.transfer(running.id)).bytesDone > 0 ? true : undefined)
  await client.cancelTransfer(running.id)
  assert.equal((await client.transfers()).some(x => x.id === running.id), false)
  assert.equal((await client.status()).swarms.some(x => x.id === s2.id), false, 'its swarm is closed')
  const leftovers = await readdir(join(out2, 'other'))
  assert.ok(leftovers.every(n => n.endsWith('.part')), `only .part files after cancel: ${leftovers.join(',')}`)

  // The CLI's fetch through the daemon is a transfer followed over the event stream.
  const out3 = join(dir, 'out3')
  const d = randomBytes(1024 * 1024)
  await writeFile(join(dir, 'd.bin'), d)
  const s3 = (await ohtJson<{ link: string, id: string }>(seeder.dataDir, ['share', join(dir, 'd.bin')])).value
  const r = (await ohtJson<{ path: string, bytes: number, peers: number }>(leecher.dataDir, ['fetch', s3.link, '-o', out3, '--peer', seeder.address], { timeoutMs: 60_000 })).value
  assert.equal(r.bytes, d.length)
  assert.equal(r.peers, 1)
  assert.equal(sha(await readFile(join(out3, 'd.bin'))), sha(d))
  const listed: TransferInfo[] = await client.transfers()
  assert.ok(listed.some(x => x.output === out3 && x.state === 'seeding'), 'the CLI fetch is listed as a transfer')
})
