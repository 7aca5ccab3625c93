// The streaming server's answers as a browser sees them: nosniff, a sandboxing CSP, a Content-Type
// no manifest can break, and no Origin. The share is a stand-in holding every block; the server
// and its sockets are real.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { StreamServer, type StreamableShare, type StreamFile } from '../../src/streaming/index.ts'
import { safeMediaType } from '../../src/streaming/server.ts'
import { fc, params } from '../fuzz/fuzz.ts'

const BLOCK = 16 * 1024

function heldShare (id: string, files: Array<{ path: string, mime: string }>): StreamableShare {
  const list: StreamFile[] = files.map((f, i) => ({ path: f.path, mime: f.mime, size: 10, offset: i * 10 }))
  return {
    id,
    blockSize: BLOCK,
    blockCount: 1,
    files: list,
    isHeld: () => true,
    whenHeld: async () => {},
    setWindow: () => {},
    read: async (_f, _p, length) => Buffer.alloc(length, 0x61),
    downloadRate: () => 1e6,
    close: async () => {}
  }
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, raw: string[] }

async function get (url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers }, res => {
      res.resume()
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: res.rawHeaders }) })
    })
    req.on('error', reject)
    req.end()
  })
}

const server = new StreamServer()
before(async () => { await server.listen() })
after(async () => { await server.close() })

/** The headers the server sets; anything else in an answer was injected. */
const EXPECTED = new Set(['accept-ranges', 'content-type', 'x-content-type-options', 'content-security-policy', 'cache-control', 'referrer-policy',
  'content-length', 'content-range', 'date', 'connection', 'keep-alive', 'transfer-encoding'])

test('every answer carries nosniff; types a browser would run get a CSP that allows nothing', async () => {
  const files = [
    { path: 's/page.html', mime: 'text/html' }, { path: 's/pic.svg', mime: 'image/svg+xml' }, { path: 's/app.js', mime: 'text/javascript' },
    { path: 's/feed.xml', mime: 'application/xml' }, { path: 's/clip.mp4', mime: 'video/mp4' }, { path: 's/photo.png', mime: 'image/png' }
  ]
  server.addShare(heldShare('types', files))
  for (const f of files) {
    const a = await get(server.urlFor('types', f.path))
    assert.equal(a.status, 200, f.path)
    assert.equal(a.headers['x-content-type-options'], 'nosniff', f.path)
    assert.equal(a.headers['content-type'], f.mime)
    const csp = String(a.headers['content-security-policy'])
    assert.match(csp, /^sandbox\b/, f.path)
    if (!/^(video|audio)\/|^image\/png/.test(f.mime)) assert.match(csp, /default-src 'none'/, f.path)
  }
})

test('a hostile MIME type or file name in a manifest never adds or breaks a header', async () => {
  const hostile = fc.oneof(
    fc.constantFrom('text/html\r\nSet-Cookie: a=b', 'video/mp4\nLocation: http://evil', 'text/plain; charset="x\r\ny"', 'a/b\u0000c', 'vidéo/mp4', 'text/html\u2028x', '', ' ', 'text/html ; x', 'x'.repeat(300)),
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 })
  )
  const name = fc.oneof(fc.constantFrom('a\r\nSet-Cookie: x=1', '%0d%0aX-Evil: 1', 'é"\';<script>', '..%2f..', 'Content-Type: text/html'), fc.string({ minLength: 1, maxLength: 30 }))
    .filter(n => !n.includes('/') && n !== '.' && n !== '..')
  let k = 0
  await fc.assert(fc.asyncProperty(hostile, name, async (mime, file) => {
    const id = `hostile-${k++}`
    server.addShare(heldShare(id, [{ path: `s/${file}`, mime }]))
    const a = await get(server.urlFor(id, `s/${file}`))
    server.removeShare(id)
    assert.equal(a.status, 200, JSON.stringify({ mime, file }))
    for (let i = 0; i < a.raw.length; i += 2) assert.ok(EXPECTED.has(a.raw[i]!.toLowerCase()), `injected header ${a.raw[i]!}`)
    assert.equal(a.headers['content-type'], safeMediaType(mime))
    if (a.headers['content-type'] !== mime) assert.equal(a.headers['content-type'], 'application/octet-stream')
    assert.equal(a.headers['x-content-type-options'], 'nosniff')
  }), params(150, [['text/html\r\nSet-Cookie: a=b', 'x'] as [string, string]]))
})

test('a request with any Origin, or a Host that is not loopback, is refused', async () => {
  server.addShare(heldShare('origin', [{ path: 's/a.mp4', mime: 'video/mp4' }]))
  const url = server.urlFor('origin', 's/a.mp4')
  assert.equal((await get(url)).status, 200)
  for (const origin of ['http://evil.example', 'null', new URL(url).origin]) {
    assert.equal((await get(url, { origin })).status, 403, `Origin ${origin}`)
  }
  for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io']) {
    assert.equal((await get(url, { host })).status, 403, `Host ${host}`)
  }
})
