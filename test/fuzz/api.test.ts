// Fuzz target: the local API's JSON bodies, path parameters and query strings, on a real node
// (memory transport, DHT, every route a daemon registers). Any input is answered, or refused with
// a clear error and a 4xx: never an engine error that reached unchecked code, never a 5xx, and
// never a request that hangs.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MemoryNetwork, MemoryTransport } from '../../src/onion/memory.ts'
import { NodeRuntime } from '../../src/node/runtime.ts'
import { ConfigFile } from '../../src/node/identity/index.ts'
import { statusOf, type ApiServer } from '../../src/node/api/index.ts'
import { ENGINE_ERROR, cborValue, fc, params } from './fuzz.ts'

/** Every route but those that start servers or leave this machine's test area (web UI, Tor). */
const ROUTES: Array<[string, string]> = [
  ['GET', '/v0/status'], ['GET', '/v0/shares'], ['DELETE', '/v0/shares/:id'], ['GET', '/v0/peers'],
  ['POST', '/v0/share'], ['POST', '/v0/fetch'], ['POST', '/v0/export'], ['POST', '/v0/import'],
  ['GET', '/v0/transfers'], ['POST', '/v0/transfers'], ['GET', '/v0/transfers/:id'], ['POST', '/v0/transfers/:id/pause'],
  ['POST', '/v0/transfers/:id/resume'], ['DELETE', '/v0/transfers/:id'], ['PUT', '/v0/transfers/:id/files'],
  ['GET', '/v0/config'], ['PUT', '/v0/config/:key'], ['DELETE', '/v0/config/:key'],
  ['GET', '/v0/pins'], ['GET', '/v0/pins/node'], ['GET', '/v0/pins/grants'], ['GET', '/v0/pins/requests'], ['GET', '/v0/pins/audit'],
  ['POST', '/v0/pins/pin'], ['POST', '/v0/pins/unpin'], ['POST', '/v0/pins/remote'], ['POST', '/v0/pins/allow'], ['POST', '/v0/pins/deny'],
  ['GET', '/v0/dht'], ['POST', '/v0/dht/put'], ['POST', '/v0/dht/get'], ['POST', '/v0/dht/delete'],
  ['POST', '/v0/dht/admin/ping'], ['POST', '/v0/dht/admin/lookup'], ['POST', '/v0/dht/admin/connect'],
  ['POST', '/v0/stream']
]
const LINK = 'oht://bafyreibzhprsa23adtpisyvvlbh7oyr2itoatiweozjhaab3dmakdlsf74#' + 'A'.repeat(43)
/** Field names the routes read, so arbitrary bodies reach past the first check. */
const FIELDS = ['paths', 'options', 'link', 'output', 'peers', 'select', 'overwrite', 'capability', 'path', 'priorities', 'seedRatio', 'seedTime',
  'value', 'encoding', 'handle', 'ttlMs', 'address', 'cert', 'wait', 'account', 'quotaBytes', 'maxTtlMs', 'ref', 'kind', 'salt', 'seq', 'target', 'count', 'nodeId', 'file']
const fieldValue = fc.oneof(cborValue.filter(v => !(v instanceof Uint8Array)), fc.constantFrom(LINK, 'tcp:127.0.0.1:1', 'mem:nobody', '/nonexistent/x', 'x', 1e300, -1, 1e9, [], {}, ['mem:x']))
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 5 })
)
const param = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('maxUpload', 'seedRatio', 'x', '..', '%00', 'a/b'))
const query = fc.dictionary(fc.constantFrom('cells', 'limit', 'deleteData', 'transfer', 'x'), fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('1e309', '-1', '0', 'NaN', '99999999999')), { maxKeys: 2 })

let dir: string
let runtime: NodeRuntime
let api: ApiServer
const cwd = process.cwd()

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-fuzz-api-'))
  // Relative paths in bodies land in this empty folder, never in the checkout.
  process.chdir(dir)
  await writeFile(join(dir, 'small.txt'), 'hello')
  const network = new MemoryNetwork()
  runtime = await NodeRuntime.open({ dataDir: join(dir, 'node'), memory: true, daemon: true, transport: () => new MemoryTransport(network, { name: 'fuzz' }), dht: { bootstrap: [], saveRoutingTable: false } })
  api = (await runtime.startDaemon({ socketPath: join(dir, 'api.sock'), config: new ConfigFile(join(dir, 'config.json')) })).api
})

after(async () => {
  await runtime?.close()
  process.chdir(cwd)
  await rm(dir, { recursive: true, force: true })
})

test('fuzz API: arbitrary bodies, parameters and query strings are answered or refused with a clear 4xx, in bounded time', async () => {
  const call = fc.tuple(fc.constantFrom(...ROUTES), param, query, body)
  await fc.assert(fc.asyncProperty(call, async ([[method, template], p, q, b]) => {
    const path = template.replace(/:\w+/, encodeURIComponent(p)) + (Object.keys(q).length > 0 ? '?' + new URLSearchParams(q).toString() : '')
    const signal = AbortSignal.timeout(5000)
    try {
      const out = await api.invoke(method, path, b, signal)
      assert.ok(out.status < 400, `answered ${out.status}`)
    } catch (err) {
      const e = err as Error
      assert.ok(!signal.aborted, `${method} ${path} ${JSON.stringify(b)} did not finish in 5 s`)
      assert.ok(e instanceof Error, `threw a non-Error: ${String(err)}`)
      assert.ok(!ENGINE_ERROR.test(e.message), `${method} ${path} ${JSON.stringify(b)}: unchecked input reached the engine: ${e.name}: ${e.message}`)
      assert.ok(!(e instanceof URIError), `${method} ${path}: a %-sequence decoded unchecked (or twice): ${e.message}`)
      assert.ok(statusOf(e) < 500)
      assert.ok(!/undefined|\[object Object\]/.test(e.message), `${method} ${path}: a missing field reached the node as text: ${e.message}`)
    }
  }), params(400, [
    // Found: String() of a body field (a null-prototype object threw, a missing one became "undefined").
    [[['POST', '/v0/fetch'], '', {}, { link: Object.create(null) }]],
    [[['POST', '/v0/import'], '', {}, {}]],
    // Found: a path parameter decoded twice (and a malformed %-sequence threw URIError).
    [[['DELETE', '/v0/shares/:id'], '%', {}, null]],
    // Found: the DHT put body went to the service unchecked.
    [[['POST', '/v0/dht/put'], '', {}, {}]],
    [[['POST', '/v0/dht/put'], '', {}, { kind: 'mutable', value: 'x', salt: 5 }]]
  ]))
})

test('a path parameter with a malformed %-sequence is refused with a 400 that names it, not a URIError', async () => {
  for (const bad of ['%', '%E0%A4%A', '%zz']) {
    await assert.rejects(api.invoke('DELETE', `/v0/shares/${bad}`, null), (err: Error) => !(err instanceof URIError) && statusOf(err) === 400 && /percent-encoding/.test(err.message))
  }
})

test('fuzz API over HTTP: any body bytes get a JSON answer with a 4xx, and the server stays up', async () => {
  const send = async (method: string, path: string, bytes: Uint8Array): Promise<{ status: number, body: string }> => await new Promise((resolve, reject) => {
    const req = request({ socketPath: join(dir, 'api.sock'), method, path, headers: { host: 'localhost', 'content-type': 'application/json' } }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }) })
    })
    req.on('error', reject)
    req.end(bytes)
  })
  const posts = ROUTES.filter(([m]) => m !== 'GET' && m !== 'DELETE')
  await fc.assert(fc.asyncProperty(fc.constantFrom(...posts), fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.string().map(s => Buffer.from(s))), async ([method, template], bytes) => {
    const res = await send(method, template.replace(/:\w+/, 'x'), bytes)
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.body}`)
    assert.equal(typeof (JSON.parse(res.body) as { error: unknown }).error, 'string')
  }), params(100))
  assert.equal((await send('GET', '/v0/status', new Uint8Array())).status, 200)
})
