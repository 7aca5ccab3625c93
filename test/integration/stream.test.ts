// `oht stream` against real daemons over TCP on 127.0.0.1: real H.264/AAC MP4 (index at the
// end) and Matroska files made by ffmpeg, read through the URL by ffprobe/ffmpeg while the
// rate-limited seeders are still sending, plus the HTTP contract (Range, HEAD, 416, token, Host).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { NODE_BIN, OHT_BIN, REPO, assertCliError, exists, oht, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { decodeAt, makeMkv, makeMp4, probe } from '../helpers/media.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { apiSocket } from '../../cli/context.ts'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { NodeNetwork } from '../../src/node/network/network.ts'
import { closeStreams, startStream } from '../../src/node/transfers/streams.ts'
import { TcpTransport } from '../../src/onion/index.ts'

/** Per-seeder upload limit: two seeders send the 4 MiB MP4 in about 8 s. */
const SEEDER_RATE = '256KiB'

interface Streaming { proc: ChildProcess, url: string, stderr: () => string, stop: () => Promise<number | null> }

const cleanups: Array<() => Promise<void>> = []
let dir: string
let seeders: Daemon[]
let mp4: Buffer
let mkv: Buffer
let mp4Link: string
let mkvLink: string

before(async () => {
  dir = await tempDir({ after: fn => { cleanups.push(async () => { await fn() }) } }, 'oht-stream-')
  await Promise.all([makeMp4(join(dir, 'clip.mp4'), 20), makeMkv(join(dir, 'clip.mkv'), 30)])
  mp4 = await readFile(join(dir, 'clip.mp4'))
  mkv = await readFile(join(dir, 'clip.mkv'))
  // The MP4 really keeps its index at the end (no faststart): a player must read the tail first.
  assert.ok(mp4.indexOf('moov') > mp4.indexOf('mdat'), 'moov after mdat')
  // A share's id covers its creation time, so two owners would make two shares: one unthrottled
  // owner shares the files, two rate-limited daemons fetch them from it (and seed them), and the
  // owner stops, so every byte the streams get comes through the throttled seeders.
  const owner = await startDaemon(join(dir, 'owner'))
  const shares = await Promise.all(['clip.mp4', 'clip.mkv'].map(async f => await new DaemonClient(apiSocket(owner.dataDir)).share([join(dir, f)], { blockSize: 256 * 1024 })))
  mp4Link = shares[0]!.link
  mkvLink = shares[1]!.link
  seeders = await Promise.all([0, 1].map(async i => await startDaemon(join(dir, `seed${i}`), ['--max-upload', SEEDER_RATE])))
  cleanups.unshift(async () => { await Promise.all(seeders.map(async d => { await d.stop() })) })
  for (const [i, d] of seeders.entries()) {
    const client = new DaemonClient(apiSocket(d.dataDir))
    for (const link of [mp4Link, mkvLink]) await client.fetch(link, { output: join(dir, `seed${i}-files`), peers: [owner.address] })
  }
  await owner.stop()
})

after(async () => { for (const c of cleanups) await c() })

/** `oht stream` with an embedded node, until stopped; resolves once it printed its URL. */
async function streamEmbedded (name: string, link: string, extra: string[] = []): Promise<Streaming> {
  const proc = spawn(NODE_BIN, [OHT_BIN, '--data-dir', join(dir, name), '--transport', 'tcp', '--json', 'stream', link,
    ...seeders.flatMap(s => ['--peer', s.address]), '-o', join(dir, `${name}-out`), ...extra], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OHT_PASSPHRASE: undefined, OHT_HOME: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined }
  })
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<number | null>(resolve => { proc.once('exit', code => { resolve(code) }) })
  const stop = async (): Promise<number | null> => {
    if (proc.exitCode == null && proc.signalCode == null) proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    const code = await exited
    clearTimeout(timer)
    return code
  }
  cleanups.unshift(async () => { await stop() })
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`oht stream printed no URL in 20 s: ${err}`)) }, 20_000)
    createInterface({ input: proc.stdout! }).once('line', l => { clearTimeout(timer); resolve(l) })
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`oht stream exited with ${code}: ${err}`)) })
  })
  const { url } = JSON.parse(line) as { url: string }
  return { proc, url, stderr: () => err, stop }
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, body: Buffer }

/** One HTTP request with full control of the headers (Host included). */
async function http (url: string, options: { method?: string, headers?: Record<string, string> } = {}): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, timeout: 30_000 }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => { resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }) })
      res.on('error', reject)
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer from ${url} in 30 s`)) })
    req.on('error', reject)
    req.end()
  })
}

const partOf = (name: string, file: string): string => join(dir, `${name}-out`, `${file}.part`)

/** Sets both seeders' upload limit while they run (the daemons' live config). */
async function seedersAt (rate: string): Promise<void> {
  await Promise.all(seeders.map(async d => {
    const r = await new DaemonClient(apiSocket(d.dataDir)).call('PUT', '/config/maxUpload', { value: rate }) as { applied: boolean }
    assert.equal(r.applied, true, 'the running seeder takes the new rate at once')
  }))
}

test('MP4 with its index at the end: ffprobe and a seek near the end work before the download is done', async () => {
  // While ffprobe and ffmpeg read, the seeders send 2 × 48 KiB/s: the 4 MiB take 40 s and more,
  // many times what the reads need even on a loaded machine (at the usual rate ffprobe and
  // ffmpeg had to beat a download of 8 s).
  await seedersAt('48KiB')
  let s: Streaming
  try {
    s = await streamEmbedded('fetch-mp4', mp4Link)
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/bafy[a-z0-9]+\/clip\.mp4$/)

    const info = await probe(s.url)
    assert.ok(Math.abs(info.duration - 20) < 0.2, `duration ${info.duration}`)
    assert.deepEqual(info.codecs, ['aac', 'h264'])
    assert.ok(await exists(partOf('fetch-mp4', 'clip.mp4')), 'the download was still incomplete when ffprobe had read the file')

    const seek = await decodeAt(s.url, 18, 3)
    assert.equal(seek.frames, 3, `ffmpeg decoded ${seek.frames} frames at 18 s: ${seek.run.stderr}`)
    assert.ok(await exists(partOf('fetch-mp4', 'clip.mp4')), 'frames at 18 s of 20 were decoded before the download reached the end')
  } finally {
    await seedersAt(SEEDER_RATE)
  }

  // Random ranges, answered as their blocks arrive, equal the original bytes.
  for (let i = 0; i < 6; i++) {
    const start = randomInt(mp4.length - 1)
    const end = Math.min(mp4.length - 1, start + randomInt(1, 400_000))
    const r = await http(s.url, { headers: { range: `bytes=${start}-${end}` } })
    assert.equal(r.status, 206)
    assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${mp4.length}`)
    assert.ok(r.body.equals(mp4.subarray(start, end + 1)), `bytes ${start}-${end} differ`)
  }
  const suffix = await http(s.url, { headers: { range: 'bytes=-1000' } })
  assert.equal(suffix.status, 206)
  assert.ok(suffix.body.equals(mp4.subarray(mp4.length - 1000)))

  const whole = await http(s.url)
  assert.equal(whole.status, 200)
  assert.equal(whole.headers['accept-ranges'], 'bytes')
  assert.ok(whole.body.equals(mp4), 'the whole file')
  assert.equal(whole.headers['access-control-allow-origin'], undefined, 'no CORS')
  assert.equal(whole.headers['content-encoding'], undefined, 'no compression')

  assert.equal(await s.stop(), 0, `clean exit on SIGTERM: ${s.stderr()}`)
  assert.ok(mp4.equals(await readFile(join(dir, 'fetch-mp4-out', 'clip.mp4'))), 'the download finished into the output directory')
})

test('HTTP contract: HEAD, 416, malformed ranges, token, share, Host, method', async () => {
  const s = await streamEmbedded('fetch-http', mp4Link)
  const head = await http(s.url, { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.headers['content-length'], String(mp4.length))
  assert.equal(head.headers['content-type'], 'video/mp4')
  assert.equal(head.headers['accept-ranges'], 'bytes')
  assert.equal(head.body.length, 0)

  const past = await http(s.url, { headers: { range: `bytes=${mp4.length}-` } })
  assert.equal(past.status, 416)
  assert.equal(past.headers['content-range'], `bytes */${mp4.length}`)
  const headRange = await http(s.url, { method: 'HEAD', headers: { range: 'bytes=10-19' } })
  assert.equal(headRange.status, 206)
  assert.equal(headRange.headers['content-length'], '10')

  // Headers a server may ignore are answered with the whole file (RFC 9110), never an error.
  for (const range of ['bytes=abc', 'bytes=5-2', 'bytes=0-1,5-9', `bytes=${'9'.repeat(300)}-`]) {
    const r = await http(s.url, { method: 'HEAD', headers: { range } })
    assert.equal(r.status, 200, range)
  }

  const u = new URL(s.url)
  const [, token, id, file] = u.pathname.split('/')
  const badToken = `${u.origin}/${token!.slice(0, -2)}${token!.endsWith('AA') ? 'BB' : 'AA'}/${id}/${file}`
  assert.equal((await http(badToken)).status, 404)
  assert.equal((await http(`${u.origin}/${id}/${file}`)).status, 404)
  assert.equal((await http(`${u.origin}/${token}/bafyreinotashare/${file}`)).status, 404)
  assert.equal((await http(`${u.origin}/${token}/${id}/other.mp4`)).status, 404)
  assert.equal((await http(`${u.origin}/${token}/${id}/%E0%A4%A`)).status, 404)

  for (const host of ['evil.example', 'evil.example:80', '127.0.0.1.evil.example', 'localhost.', `127.0.0.1:${u.port}@evil.example`]) {
    const r = await http(s.url, { headers: { host } })
    assert.equal(r.status, 403, `Host ${JSON.stringify(host)}`)
  }
  for (const host of ['localhost', `127.0.0.1:${u.port}`, `[::1]:${u.port}`]) {
    assert.equal((await http(s.url, { method: 'HEAD', headers: { host } })).status, 200, `Host ${host}`)
  }
  const post = await http(s.url, { method: 'POST' })
  assert.equal(post.status, 405)
  assert.equal(post.headers.allow, 'GET, HEAD')
  assert.equal(await s.stop(), 0, `clean exit on SIGTERM: ${s.stderr()}`)
})

test('Matroska: a seek near the end decodes early; two readers at different positions both progress', async () => {
  const s = await streamEmbedded('fetch-mkv', mkvLink)
  const info = await probe(s.url)
  assert.ok(Math.abs(info.duration - 30) < 0.2, `duration ${info.duration}`)
  assert.deepEqual(info.codecs, ['h264', 'opus'])
  const seek = await decodeAt(s.url, 27.5, 2)
  assert.equal(seek.frames, 2, seek.run.stderr)
  assert.ok(await exists(partOf('fetch-mkv', 'clip.mkv')), 'decoded near the end before the download completed')

  const a = Math.floor(mkv.length * 0.2)
  const b = Math.floor(mkv.length * 0.6)
  const span = 600_000
  const [ra, rb] = await Promise.all([a, b].map(async start => await http(s.url, { headers: { range: `bytes=${start}-${start + span - 1}` } })))
  assert.ok(ra!.body.equals(mkv.subarray(a, a + span)), 'reader at 20 %')
  assert.ok(rb!.body.equals(mkv.subarray(b, b + span)), 'reader at 60 %')
  assert.equal(await s.stop(), 0, `clean exit on SIGTERM: ${s.stderr()}`)
})

test('daemon side: startStream serves the same endpoints from a node in this process; bad requests fail cleanly', async () => {
  const node = await OhtNode.open({ dataDir: join(dir, 'inproc') })
  const network = new NodeNetwork(new TcpTransport(), node.keys)
  try {
    await assert.rejects(startStream(node, network, mkvLink, { peers: ['tcp:127.0.0.1:9'] }), /could not reach any peer/)
    const handle = await startStream(node, network, mkvLink, { peers: seeders.map(s => s.address), output: join(dir, 'inproc-out') })
    assert.equal(handle.file, 'clip.mkv')
    assert.match(handle.url, /^http:\/\/127\.0\.0\.1:\d+\/[A-Za-z0-9_-]{32}\/bafy/)
    // A second start of the same share joins the running one (same URL), a wrong file is refused.
    assert.equal((await startStream(node, network, mkvLink, { peers: [] })).url, handle.url)
    await assert.rejects(startStream(node, network, mkvLink, { peers: [], file: 'nope.mkv' }), /no file "nope\.mkv"/)
    const start = Math.floor(mkv.length * 0.9)
    const r = await http(handle.url, { headers: { range: `bytes=${start}-` } })
    assert.equal(r.status, 206)
    assert.ok(r.body.equals(mkv.subarray(start)))
    const head = await http(handle.url, { method: 'HEAD' })
    assert.equal(head.headers['content-type'], 'video/x-matroska')
    await handle.close()
    // Once closed, the share's URLs are gone; streaming it again resumes into the same place.
    assert.equal((await http(handle.url, { method: 'HEAD' })).status, 404)
    const again = await startStream(node, network, mkvLink, { peers: seeders.map(s => s.address), output: join(dir, 'inproc-out') })
    assert.equal(again.url, handle.url, 'same server, same token, same share: the same URL')
    assert.ok((await http(again.url, { headers: { range: 'bytes=0-99' } })).body.equals(mkv.subarray(0, 100)))
    const done = await again.fetched
    assert.equal(done.bytes, mkv.length)
    assert.ok(mkv.equals(await readFile(join(dir, 'inproc-out', 'clip.mkv'))))
  } finally {
    await closeStreams(network)
    await network.close()
    await node.close()
  }
})

test('--player: the command runs without a shell with the URL as one argument; oht exits with it', async () => {
  const peers = seeders.flatMap(s => ['--peer', s.address])
  // ffprobe as the "player": it reads the stream through the URL and prints the duration.
  const r = await oht(join(dir, 'player'), ['--transport', 'tcp', '--json', 'stream', mp4Link, ...peers, '-o', join(dir, 'player-out'),
    '--player', 'ffprobe -v error -show_entries format=duration -of csv=p=0 {url}'], { timeoutMs: 60_000 })
  assert.equal(r.code, 0, r.stderr)
  const [first, second] = r.stdout.split('\n')
  assert.match((JSON.parse(first!) as { url: string }).url, /^http:\/\/127\.0\.0\.1:/)
  assert.ok(Math.abs(Number(second) - 20) < 0.2, `the player printed ${second}`)

  const missing = await oht(join(dir, 'player'), ['--transport', 'tcp', 'stream', mp4Link, ...peers, '-o', join(dir, 'player-out'), '--player', 'no-such-player-oht --fs'])
  assertCliError(missing, /cannot start the player "no-such-player-oht"/)
})
