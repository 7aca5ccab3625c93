// The public fetch page's HTTP side (src/node/publicfetch/server.ts) on real sockets, with shares
// made up here: routes and headers, the bounds anyone may run into (connections, blocks read at
// once, the wait for a block the swarm does not deliver), and what is refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createTcpServer, connect, type AddressInfo, type Server } from 'node:net'
import { request } from 'node:http'
import { PublicFetchServer, PUBLIC_FETCH_CSP, type PublicFetchLimits, type PublicShare, type PublicShares } from '../../src/node/publicfetch/index.ts'

const ID = 'bafyreigsjyni32p5y3xhaxkzjrqjrelelkc2ntuydct3r7r4i7wxd76f3e'

/** A share of `count` blocks whose answers come from `block`. */
function shares (block: PublicShare['block'], count = 3): PublicShares {
  const share: PublicShare = { manifestBytes: new Uint8Array([0xa7, 1, 2]), blockCount: count, block }
  return { open: async id => id === ID ? share : undefined, close: async () => {} }
}

async function serve (s: PublicShares, limits: PublicFetchLimits = {}): Promise<{ port: number, server: PublicFetchServer, tcp: Server }> {
  const server = new PublicFetchServer(s, limits)
  const tcp = createTcpServer(socket => { server.accept(socket) })
  await new Promise<void>(resolve => tcp.listen(0, '127.0.0.1', resolve))
  return { port: (tcp.address() as AddressInfo).port, server, tcp }
}

async function stop (s: { server: PublicFetchServer, tcp: Server }): Promise<void> {
  await s.server.close()
  await new Promise(resolve => s.tcp.close(resolve))
}

async function get (port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, unknown>, body: Buffer }> {
  return await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false, headers }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => { resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }) })
    })
    req.on('error', reject)
    req.end()
  })
}

test('routes: the page with its CSP, its assets, the manifest and blocks (proof, then ciphertext); 404 for the rest', async t => {
  const s = await serve(shares(async i => [new Uint8Array(32).fill(i), new Uint8Array([9, 9, i])]))
  t.after(async () => { await stop(s) })
  const page = await get(s.port, '/')
  assert.equal(page.status, 200)
  assert.equal(page.headers['content-security-policy'], PUBLIC_FETCH_CSP)
  assert.equal(page.headers['referrer-policy'], 'no-referrer')
  assert.equal(page.headers['access-control-allow-origin'], undefined)
  assert.match(page.body.toString(), /<script type="module" src="\/pf\/assets\/page\.js"><\/script>/)
  assert.doesNotMatch(page.body.toString(), /<script>|<style|\sstyle=|\son[a-z]+=|https?:\/\//, 'no inline script or style, nothing from elsewhere')
  assert.match(page.body.toString(), /<html lang="en">[\s\S]*Fetch an oht share/)
  // German by the page's switch or the browser's language; the script's words in a JSON data block.
  assert.match((await get(s.port, '/?lang=de')).body.toString(), /<html lang="de">[\s\S]*Eine oht-Freigabe holen/)
  const de = (await get(s.port, '/', 'GET', { 'accept-language': 'de-DE,de;q=0.9' })).body.toString()
  assert.match(de, /<script type="application\/json" id="pf-messages">\{[^<]*"script\.save":"speichern"/)
  for (const asset of ['page.js', 'core.js', 'media.js', 'style.css']) assert.equal((await get(s.port, `/pf/assets/${asset}`)).status, 200, asset)
  assert.doesNotMatch((await get(s.port, '/pf/assets/page.js')).body.toString(), /https?:\/\//, 'the script loads nothing from elsewhere')
  assert.deepEqual([...(await get(s.port, `/pf/${ID}/manifest`)).body], [0xa7, 1, 2])
  const block = await get(s.port, `/pf/${ID}/block/2`)
  assert.equal(block.status, 200)
  assert.deepEqual(block.body, Buffer.concat([Buffer.alloc(32, 2), Buffer.from([9, 9, 2])]))
  assert.equal((await get(s.port, `/pf/${ID}/block/3`)).status, 404)
  assert.equal((await get(s.port, `/pf/${ID.replace('a', 'b')}/manifest`)).status, 404)
  assert.equal((await get(s.port, '/pf/../../etc/passwd')).status, 404)
  assert.equal((await get(s.port, '/pf/assets/app.js')).status, 404, 'the web UI\'s own script is not public')
  assert.equal((await get(s.port, `/pf/${ID}/manifest`, 'POST')).status, 405)
  const head = await get(s.port, `/pf/${ID}/block/1`, 'HEAD')
  assert.equal(head.headers['content-length'], '35')
  assert.equal(head.body.length, 0)
})

test('bounds: connections over the limit are closed unanswered; blocks are read one at a time when the limit is one', async t => {
  let reading = 0
  let most = 0
  const gates: Array<() => void> = []
  const s = await serve(shares(async i => {
    reading++
    most = Math.max(most, reading)
    await new Promise<void>(resolve => gates.push(resolve))
    reading--
    return [new Uint8Array([i])]
  }), { maxConnections: 2, maxBlocksInFlight: 1 })
  t.after(async () => { await stop(s) })
  const a = get(s.port, `/pf/${ID}/block/0`)
  const b = get(s.port, `/pf/${ID}/block/1`)
  // Both connections are in; the first block is being read, the second waits for its turn.
  while (gates.length < 1 || s.server.connections < 2) await new Promise(resolve => setImmediate(resolve))
  const third = connect(s.port, '127.0.0.1')
  third.on('error', () => {})
  third.write(`GET / HTTP/1.1\r\nhost: x\r\n\r\n`)
  const heard = await new Promise<string>(resolve => {
    let text = ''
    third.on('data', (c: Buffer) => { text += c.toString() })
    third.on('close', () => { resolve(text) })
  })
  assert.equal(heard, '', 'the third connection got no answer')
  assert.equal(gates.length, 1, 'one block read at a time')
  gates.shift()!()
  while (gates.length < 1) await new Promise(resolve => setImmediate(resolve))
  gates.shift()!()
  assert.deepEqual([(await a).body[0], (await b).body[0]], [0, 1])
  assert.equal(most, 1)
})

test('a block the swarm does not deliver in time is a 504, and the slot is given back', async t => {
  let calls = 0
  const s = await serve(shares(async (i, signal) => {
    calls++
    if (i === 0) await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Error('aborted')) }) })
    return [new Uint8Array([i])]
  }), { blockWaitMs: 100, maxBlocksInFlight: 1 })
  t.after(async () => { await stop(s) })
  const late = await get(s.port, `/pf/${ID}/block/0`)
  assert.equal(late.status, 504)
  assert.match(late.body.toString(), /block 0 did not arrive from the swarm in time/)
  assert.equal((await get(s.port, `/pf/${ID}/block/1`)).status, 200)
  assert.equal(calls, 2)
})
