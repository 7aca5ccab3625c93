// The zero-install fetch page (`oht daemon --public-fetch`) in a real browser: Debian's chromium,
// headless, driven by playwright-core, against real daemons over TCP on 127.0.0.1. Alice shares a
// file; bob holds its ciphertext only (a CAR import: he never had the key) and serves the page on
// his own address. The page downloads the multi-block file, checking and decrypting it in the
// browser: byte-identical. A node that serves a changed block makes the page stop with a clear
// error; bob's logs and process memory never hold the content key; carol, who is still pinning
// the share from a slow alice, serves the page blocks she asks of the swarm first; a video plays
// while it downloads (MediaSource). Without the option a node answers no HTTP at all. Strict CSP,
// every request to the node's own origin.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, open, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { createServer, get, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { runTool } from '../helpers/media.ts'
import { PUBLIC_FETCH_CSP } from '../../src/node/publicfetch/index.ts'

declare const document: any // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = '/usr/bin/chromium'
/** Only catches hangs (the machine is loaded). */
const WAIT_MS = 120_000
/** 12 full blocks of 256 KiB and a short one: an odd leaf count (a promoted Merkle node). */
const FILE_BYTES = 12 * 256 * 1024 + 54_321

const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
const cleanups: Array<() => Promise<void>> = []
let dir: string
/** Screenshots, kept as the test's artefacts (the path is printed). */
let shots: string
let alice: Daemon
let bob: Daemon
let browser: Browser
let file: Buffer
let link: string
let verifyCap: string
let shareId: string
let bobUrl: string
let video: Buffer
let videoLink: string

const portOf = (d: Daemon): number => Number(d.address.split(':').pop())

before(async () => {
  if (skip !== false) return
  dir = await tempDir({ after: fn => { cleanups.push(async () => { await fn() }) } }, 'oht-publicfetch-')
  shots = await mkdtemp(join(tmpdir(), 'oht-publicfetch-screenshots-'))
  file = randomBytes(FILE_BYTES)
  await writeFile(join(dir, 'film.bin'), file)
  const shared = (await ohtJson<{ link: string, verifyCap: string, id: string }>(join(dir, 'alice'), ['share', join(dir, 'film.bin')])).value
  ;({ link, verifyCap, id: shareId } = shared)
  // A fragmented MP4 (H.264/AAC, the movie box first): what MediaSource can take piece by piece.
  const made = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=25:duration=20',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=20', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '900k', '-g', '25',
    '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '96k', '-movflags', 'frag_keyframe+empty_moov+default_base_moof', '-f', 'mp4', join(dir, 'clip.mp4')], 120_000)
  assert.equal(made.code, 0, made.stderr)
  video = await readFile(join(dir, 'clip.mp4'))
  const clip = (await ohtJson<{ link: string, verifyCap: string }>(join(dir, 'alice'), ['share', join(dir, 'clip.mp4')])).value
  videoLink = clip.link
  // Bob gets the ciphertext as CAR files: no link, no key.
  for (const [cap, car] of [[verifyCap, 'share.car'], [clip.verifyCap, 'clip.car']] as const) {
    await oht(join(dir, 'alice'), ['export', '--car', cap, '-o', join(dir, car)])
    await oht(join(dir, 'bob'), ['import', join(dir, car)])
  }
  ;[alice, bob] = await Promise.all([
    startDaemon(join(dir, 'alice'), ['--max-upload', '256KiB']),
    startDaemon(join(dir, 'bob'), [], 60_000, ['--public-fetch', '--log-file', join(dir, 'bob.log')])
  ])
  cleanups.push(async () => { await alice.stop() }, async () => { await bob.stop() })
  bobUrl = `http://127.0.0.1:${portOf(bob)}/`
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  cleanups.unshift(async () => { await browser.close() })
})

after(async () => {
  for (const c of cleanups) await c().catch(() => {})
  if (shots != null) process.stdout.write(`# public fetch screenshots: ${shots}\n`)
})

/** Opens the page at `origin` with the link in the fragment; every request it makes is recorded. */
async function openPage (origin: string, shareLink = link): Promise<{ page: Page, requests: string[], csp: string | undefined }> {
  const context = await browser.newContext({ acceptDownloads: true })
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  const requests: string[] = []
  page.on('request', r => { requests.push(`${r.url()} ${JSON.stringify(r.headers())}`) })
  const answer = await page.goto(`${origin}#${shareLink}`)
  assert.equal(answer?.status(), 200)
  return { page, requests, csp: answer?.headers()['content-security-policy'] }
}

async function downloaded (page: Page, name = 'film.bin'): Promise<Buffer> {
  const download = await page.waitForEvent('download', { timeout: WAIT_MS })
  assert.equal(download.suggestedFilename(), name)
  return await readFile((await download.path())!)
}

test('the page downloads a multi-block file from a node holding only ciphertext: checked and decrypted in the browser, byte-identical', { skip }, async () => {
  const { page, requests, csp } = await openPage(bobUrl)
  assert.equal(csp, PUBLIC_FETCH_CSP)
  const got = await downloaded(page)
  assert.equal(got.length, file.length)
  assert.ok(got.equals(file), 'the saved file is the shared file')
  await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: WAIT_MS })
  assert.match(await page.textContent('#pf-status') ?? '', /done/)
  assert.equal(await page.textContent('#pf-name'), 'film.bin')
  // Every request went to the node's own origin (no third party, no CDN), none carried the key.
  const key = link.split('#')[1]!
  assert.ok(requests.length >= 14, `the page asked for the manifest and 13 blocks: ${requests.length}`)
  for (const r of requests) {
    assert.ok(r.startsWith(bobUrl), `request to another origin: ${r}`)
    assert.ok(!r.includes(key), `a request carries the key: ${r}`)
  }
  await page.screenshot({ path: join(shots, 'done.png'), fullPage: true })
})

test('a node that serves a changed block: the page stops with a clear error and saves nothing', { skip }, async () => {
  // A node that lies: bob's answers with one bit of block 5's ciphertext flipped.
  const proxy = await proxyTo(portOf(bob), { flip: { suffix: '/block/5', offset: 400 } })
  cleanups.unshift(async () => { await new Promise(resolve => proxy.close(resolve)) })
  const origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`
  const { page } = await openPage(origin)
  let saved = false
  page.on('download', () => { saved = true })
  await page.waitForFunction(() => document.body.dataset.state === 'failed', undefined, { timeout: WAIT_MS })
  const error = await page.textContent('#pf-error')
  assert.match(error ?? '', /block 5 does not match the share's Merkle root: the node sent a wrong or damaged block/)
  assert.equal(await page.isVisible('#pf-error'), true)
  assert.equal(saved, false)
  await page.screenshot({ path: join(shots, 'tampered.png'), fullPage: true })
})

test('bob\'s logs and process memory never hold the content key (his log and memory do hold the share id)', { skip }, async () => {
  const key = Buffer.from(link.split('#')[1]!, 'base64url')
  const needles = { keyText: Buffer.from(link.split('#')[1]!), keyHex: Buffer.from(key.toString('hex')), keyBytes: key, shareId: Buffer.from(shareId) }
  const log = await readFile(join(dir, 'bob.log'))
  assert.ok(log.includes('oht:pf'), 'bob logged the page\'s requests')
  for (const [name, n] of Object.entries(needles)) if (name !== 'shareId') assert.equal(log.indexOf(n), -1, `bob's log holds ${name}`)
  for (const [name, n] of Object.entries(needles)) if (name !== 'shareId') assert.ok(!bob.stderr().includes(n.toString('latin1')), `bob's stderr holds ${name}`)
  const found = await searchMemory(bob.proc.pid!, needles)
  assert.ok(found.has('shareId'), 'the memory search finds what bob does hold')
  assert.deepEqual([...found].filter(n => n !== 'shareId'), [], 'bob\'s memory holds the key')
})

test('a node still pinning the share serves the page blocks it asks of the swarm first', { skip }, async () => {
  const carol = await startDaemon(join(dir, 'carol'), [], 60_000, ['--public-fetch', '--log-file', join(dir, 'carol.log')])
  cleanups.unshift(async () => { await carol.stop() })
  const metadata = await nextEvent(carol, e => e.type === 'swarm' && e.event.type === 'leaves:verified')
  // Alice sends at 256 KiB/s: the 3 MiB pin takes ~12 s, so the page asks for blocks carol lacks.
  const pinned = oht(join(dir, 'carol'), ['pin', verifyCap, '--peer', alice.address])
  await metadata.event
  metadata.close()
  const { page } = await openPage(`http://127.0.0.1:${portOf(carol)}/`)
  assert.ok((await downloaded(page)).equals(file))
  assert.match(await readFile(join(dir, 'carol.log'), 'utf8'), /not held yet, asked of the swarm first/)
  await pinned
})

test('a video plays while it downloads (MediaSource), then the whole file is saved', { skip }, async () => {
  // The last block is held back until the video has played a while: it cannot be from the whole file.
  const last = Math.ceil(video.length / (256 * 1024)) - 1
  const held = Promise.withResolvers<void>()
  const proxy = await proxyTo(portOf(bob), { hold: { suffix: `/block/${last}`, until: held.promise } })
  cleanups.unshift(async () => { held.resolve(); await new Promise(resolve => proxy.close(resolve)) })
  const { page } = await openPage(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, videoLink)
  const saved = downloaded(page, 'clip.mp4')
  await page.waitForFunction(() => document.getElementById('pf-player').dataset.mode === 'stream', undefined, { timeout: WAIT_MS })
  await page.evaluate(async () => { const v = document.getElementById('pf-player'); v.muted = true; await v.play() })
  await page.waitForFunction(() => document.getElementById('pf-player').currentTime > 1, undefined, { timeout: WAIT_MS })
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'fetching')
  assert.equal(await page.evaluate(() => document.getElementById('pf-player').error), null)
  await page.screenshot({ path: join(shots, 'video.png'), fullPage: true })
  held.resolve()
  assert.ok((await saved).equals(video))
})

test('without --public-fetch a node answers no HTTP at all; with it, an unknown share is 404', { skip }, async () => {
  const answer = await new Promise<string>(resolve => {
    const req = get(`http://127.0.0.1:${portOf(alice)}/`, res => { resolve(`HTTP ${res.statusCode}`); res.resume() })
    req.on('error', err => { resolve(`error: ${err.message}`) })
  })
  assert.match(answer, /^error: /)
  const missing = await new Promise<IncomingMessage>((resolve, reject) => { get(`${bobUrl}pf/bafyreigsjyni32p5y3xhaxkzjrqjrelelkc2ntuydct3r7r4i7wxd76f3e/manifest`, resolve).on('error', reject) })
  missing.resume()
  assert.equal(missing.statusCode, 404)
  // Alice's listener still speaks oht: she answers a status request over the API, her peers fetch.
  assert.equal((await oht(join(dir, 'alice'), ['status'])).code, 0)
  // A rate of nothing is one clear error, before anything starts.
  assertCliError(await oht(join(dir, 'dave'), ['--transport', 'tcp', 'daemon', '--public-fetch', '--public-fetch-rate', '0']), /--public-fetch-rate must be more than 0 bytes per second/)
})

/**
 * An HTTP proxy in front of `port`: `flip` changes one bit at `offset` of answers whose path ends
 * with `suffix` (a lying node); `hold` forwards such a request only once `until` settles.
 */
async function proxyTo (port: number, o: { flip?: { suffix: string, offset: number }, hold?: { suffix: string, until: Promise<void> } }): Promise<Server> {
  const server = createServer((req, res) => { void forward(req, res) })
  const forward = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (o.hold != null && req.url?.endsWith(o.hold.suffix) === true) await o.hold.until
    const upstream = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, up => {
      const parts: Buffer[] = []
      up.on('data', (c: Buffer) => parts.push(c))
      up.on('end', () => {
        const body = Buffer.concat(parts)
        if (o.flip != null && req.url?.endsWith(o.flip.suffix) === true) body[o.flip.offset]! ^= 1
        res.writeHead(up.statusCode ?? 502, up.headers)
        res.end(body)
      })
    })
    upstream.on('error', () => { res.destroy() })
    req.pipe(upstream)
  }
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return server
}

/** Which of `needles` occur in the readable memory of process `pid` (/proc/<pid>/maps and mem). */
async function searchMemory (pid: number, needles: Record<string, Buffer>): Promise<Set<string>> {
  const found = new Set<string>()
  const maps = (await readFile(`/proc/${pid}/maps`, 'utf8')).split('\n')
  const mem = await open(`/proc/${pid}/mem`, 'r')
  const longest = Math.max(...Object.values(needles).map(n => n.length))
  const chunk = Buffer.alloc(16 * 1024 * 1024)
  try {
    for (const line of maps) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line)
      if (m == null || /\[(vvar|vsyscall|vdso)\]/.test(line)) continue
      const start = Number.parseInt(m[1]!, 16)
      const end = Number.parseInt(m[2]!, 16)
      for (let at = start; at < end; at += chunk.length - longest) {
        const want = Math.min(chunk.length, end - at)
        let n: number
        try { n = (await mem.read(chunk, 0, want, at)).bytesRead } catch { break }
        const view = chunk.subarray(0, n)
        for (const [name, needle] of Object.entries(needles)) if (!found.has(name) && view.includes(needle)) found.add(name)
        if (n < want) break
      }
    }
  } finally {
    await mem.close()
  }
  return found
}

test('a folder share pasted into the page\'s form: each file offered on its own, byte-identical (an empty one too)', { skip }, async () => {
  const folder = join(dir, 'folder')
  await mkdir(join(folder, 'sub'), { recursive: true })
  const files = { 'one.bin': randomBytes(400_000), 'sub/two.bin': randomBytes(300_001), 'sub/zero.txt': Buffer.alloc(0) }
  for (const [name, bytes] of Object.entries(files)) await writeFile(join(folder, name), bytes)
  const shared = (await ohtJson<{ link: string, verifyCap: string }>(join(dir, 'alice'), ['share', folder])).value
  await oht(join(dir, 'alice'), ['export', '--car', shared.verifyCap, '-o', join(dir, 'folder.car')])
  assert.equal((await oht(join(dir, 'bob'), ['import', join(dir, 'folder.car')])).code, 0)
  const context = await browser.newContext({ acceptDownloads: true })
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  await page.goto(bobUrl)
  await page.fill('#pf-link', shared.link)
  await page.click('#pf-form button[type=submit]')
  await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: WAIT_MS })
  assert.equal(new URL(page.url()).hash, `#${shared.link}`)
  const paths = ['folder/one.bin', 'folder/sub/two.bin', 'folder/sub/zero.txt']
  for (const [i, path] of paths.entries()) {
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT_MS }), page.click(`#pf-file-${i} a.pf-save`)])
    assert.equal(download.suggestedFilename(), path.split('/').pop())
    assert.ok((await readFile((await download.path())!)).equals(files[path.slice('folder/'.length) as keyof typeof files]), path)
  }
  await page.screenshot({ path: join(shots, 'folder.png'), fullPage: true })
  // The language switch keeps the link (the fragment) and the page runs again, in German.
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click('a.pf-lang')])
  assert.equal(new URL(page.url()).search, '?lang=de')
  assert.equal(new URL(page.url()).hash, `#${shared.link}`)
  await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: WAIT_MS })
  assert.match(await page.textContent('#pf-status') ?? '', /^fertig: /)
  assert.equal(await page.textContent('#pf-file-0 a.pf-save'), 'speichern')
  await page.screenshot({ path: join(shots, 'folder-de.png'), fullPage: true })
})

test('the web UI\'s shares page gives each link as the node\'s public page, and that address downloads the share', { skip }, async () => {
  const note = randomBytes(300_000)
  await writeFile(join(dir, 'note.bin'), note)
  const shared = (await ohtJson<{ link: string }>(join(dir, 'bob'), ['share', join(dir, 'note.bin')])).value
  const ui = (await ohtJson<{ url: string }>(join(dir, 'bob'), ['webui', 'start'])).value
  const context = await browser.newContext({ acceptDownloads: true })
  cleanups.unshift(async () => { await context.close() })
  const admin = await context.newPage()
  await admin.goto(ui.url)
  await admin.goto(new URL('/shares', ui.url).href)
  const publicLink = await admin.locator('tr', { hasText: 'note.bin' }).locator('label.public input').inputValue()
  assert.equal(publicLink, `${bobUrl}#${shared.link}`)
  await admin.screenshot({ path: join(shots, 'webui-shares-public.png'), fullPage: true })
  const visitor = await (await browser.newContext({ acceptDownloads: true })).newPage()
  const saving = visitor.waitForEvent('download', { timeout: WAIT_MS })
  await visitor.goto(publicLink)
  const download = await saving
  assert.ok((await readFile((await download.path())!)).equals(note))
  await visitor.context().close()
})

test('a share the node unshares is no longer served (the page gets 404)', { skip }, async () => {
  const manifest = `${bobUrl}pf/${shareId}/manifest`
  const status = async (): Promise<number> => await new Promise((resolve, reject) => { get(manifest, res => { res.resume(); resolve(res.statusCode!) }).on('error', reject) })
  assert.equal(await status(), 200)
  assert.equal((await oht(join(dir, 'bob'), ['unshare', shareId])).code, 0)
  assert.equal(await status(), 404)
})
