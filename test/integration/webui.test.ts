// The daemon's web UI in a real browser: Debian's chromium, headless, driven by playwright-core
// (its own browser download cannot work here). Two real daemons over TCP on 127.0.0.1: the UI of
// the seeder shares files, the UI of the other fetches one (progress live, pause, resume) and plays
// a video while it downloads (currentTime advances, a seek lands); the language switches. And what
// must get nothing: a page of another local origin (fetch, XHR, WebSocket, a form), a wrong Host
// (DNS rebinding, in the browser too), a missing, wrong or spent token. Screenshots are kept in a
// temporary folder whose path the test prints.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { assertCliError, oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { makeMp4 } from '../helpers/media.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { apiSocket } from '../../cli/context.ts'
import { within } from '../../src/onion/compliance.ts'

// The page functions below run in the browser; this file compiles without the DOM library, so
// the little of the browser they use is declared here (module scope: nothing leaks).
declare const document: any // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any // eslint-disable-line @typescript-eslint/no-explicit-any
interface Valued { value: number | string }
interface Media { muted: boolean, currentTime: number, error: unknown, play: () => Promise<void>, addEventListener: (type: string, fn: (e: unknown) => void, o: { once: boolean }) => void }

const CHROMIUM = '/usr/bin/chromium'
/** The seeder's upload limit: the 16 MiB fetch takes ~30 s, long enough to watch and pause. */
const SEEDER_RATE = '512KiB'
const BIG_BYTES = 16 * 1024 * 1024
/** Generous: only catches hangs (the machine is loaded). */
const WAIT_MS = 120_000

const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
const cleanups: Array<() => Promise<void>> = []
let dir: string
let shots: string
let seeder: Daemon
let leecher: Daemon
let browser: Browser
let uiA: { origin: string, url: string }
let uiB: { origin: string, url: string }
let bigLink: string
let clipLink: string

async function startUi (d: Daemon): Promise<{ origin: string, url: string }> {
  return (await ohtJson<{ origin: string, url: string }>(d.dataDir, ['webui', 'start'])).value
}

/** A browser context logged in to a UI through a fresh login URL. */
async function loggedIn (d: Daemon): Promise<{ context: BrowserContext, page: Page, origin: string }> {
  const ui = await startUi(d)
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, permissions: ['clipboard-read', 'clipboard-write'] })
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  const answer = await page.goto(ui.url)
  assert.equal(answer?.status(), 200)
  assert.equal(new URL(page.url()).pathname, '/transfers')
  return { context, page, origin: ui.origin }
}

async function shot (page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })
}

before(async () => {
  if (skip !== false) return
  dir = await tempDir({ after: fn => { cleanups.push(async () => { await fn() }) } }, 'oht-webui-')
  shots = await mkdtemp(join(tmpdir(), 'oht-webui-screenshots-'))
  await mkdir(join(dir, 'big'))
  await mkdir(join(dir, 'media'))
  await writeFile(join(dir, 'big', 'big.bin'), randomBytes(BIG_BYTES))
  await mkdir(join(dir, 'plain'))
  await writeFile(join(dir, 'plain', 'plain.bin'), randomBytes(BIG_BYTES / 2))
  await makeMp4(join(dir, 'media', 'clip.mp4'), 20)
  ;[seeder, leecher] = await Promise.all([startDaemon(join(dir, 'a'), ['--max-upload', SEEDER_RATE]), startDaemon(join(dir, 'b'))])
  cleanups.unshift(async () => { await Promise.all([seeder.stop(), leecher.stop()]) })
  uiA = await startUi(seeder)
  uiB = await startUi(leecher)
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // rebind.test stands for a DNS-rebinding name: an attacker's name resolving to 127.0.0.1.
    args: ['--autoplay-policy=no-user-gesture-required', '--host-resolver-rules=MAP rebind.test 127.0.0.1']
  })
  cleanups.unshift(async () => { await browser.close() })
})

after(async () => {
  for (const c of cleanups) await c()
  if (shots != null) process.stdout.write(`# web UI screenshots: ${shots}\n`)
})

test('the token is required, works once, and a wrong one opens nothing', { skip }, async () => {
  const context = await browser.newContext()
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  const bare = await page.goto(`${uiB.origin}/transfers`)
  assert.equal(bare?.status(), 401)
  assert.match(await page.locator('main').innerText(), /oht webui start/)
  assert.equal(await page.locator('nav').count(), 0, 'no navigation without a session')
  const wrong = await page.goto(`${uiB.origin}/auth?token=${randomBytes(32).toString('base64url')}`)
  assert.equal(wrong?.status(), 401)
  const api = await page.goto(`${uiB.origin}/api/v0/status`)
  assert.equal(api?.status(), 401)
  // The printed URL logs in once.
  const first = await page.goto(uiB.url)
  assert.equal(first?.status(), 200)
  const cookies = await context.cookies(uiB.origin)
  const session = cookies.find(c => c.name.startsWith('oht_ui_'))
  assert.ok(session != null, 'a session cookie')
  assert.equal(session.httpOnly, true)
  assert.equal(session.sameSite, 'Strict')
  const other = await browser.newContext()
  cleanups.unshift(async () => { await other.close() })
  const again = await (await other.newPage()).goto(uiB.url)
  assert.equal(again?.status(), 401, 'a spent token opens nothing')
})

test('add a share in the UI: its link, a copy button, a QR code', { skip }, async () => {
  const { page } = await loggedIn(seeder)
  await page.goto(`${uiA.origin}/shares`)
  for (const sub of ['big', 'media']) {
    await page.fill('#share-form input[name=path]', join(dir, sub))
    await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click('#share-form button[type=submit]')])
    assert.match(page.url(), /\/shares\?added=/)
  }
  const links = await page.locator('#shares input.link').evaluateAll(els => els.map(e => String((e as unknown as Valued).value)))
  assert.equal(links.length, 2)
  const names = await page.locator('#shares tbody tr td:first-child').allInnerTexts()
  bigLink = links[names.indexOf('big')]!
  clipLink = links[names.indexOf('media')]!
  assert.match(bigLink, /^oht:\/\/\w+#/)
  // The script shows the copy buttons; the QR code is an inline SVG that needs no script.
  const copy = page.locator('#shares tbody tr', { hasText: 'big' }).locator('button.copy')
  await copy.waitFor({ state: 'visible', timeout: WAIT_MS })
  await copy.click()
  await page.waitForFunction(() => document.querySelector('button.copy[data-copied]') != null, undefined, { timeout: WAIT_MS })
  assert.equal(await page.evaluate(async () => await window.navigator.clipboard.readText()), bigLink, 'the copy button copied the link')
  await page.locator('#shares details.qr summary').first().click()
  assert.equal(await page.locator('#shares details.qr svg path').first().isVisible(), true)
  await shot(page, 'shares')
  const listed = await new DaemonClient(apiSocket(seeder.dataDir)).list()
  assert.deepEqual(listed.map(s => s.name).sort(), ['big', 'media'])
})

test('fetch a pasted link: progress live over the WebSocket, pause and resume', { skip }, async () => {
  assert.ok(bigLink != null, 'the share test ran')
  const { page } = await loggedIn(leecher)
  await page.goto(`${uiB.origin}/fetch`)
  await page.fill('#fetch-form input[name=link]', bigLink)
  await page.fill('#fetch-form input[name=output]', join(dir, 'got'))
  await page.fill('#fetch-form input[name=peer]', seeder.address)
  await page.click('#fetch-form button[type=submit]')
  await page.waitForURL(/\/transfers\/[^/]+$/, { timeout: WAIT_MS })
  // The detail page: the per-peer table and the block map fill in while it runs.
  await page.locator('#peers tbody code').first().waitFor({ timeout: WAIT_MS })
  await page.waitForFunction(() => (document.getElementById('blockmap')?.textContent ?? '').includes('#'), undefined, { timeout: WAIT_MS })
  await shot(page, 'transfer-detail')

  await page.goto(`${uiB.origin}/transfers`)
  const row = page.locator('#transfers tbody tr').first()
  // Without a reload (a marker on window survives), the bar moves more than once.
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 1 })
  const values: number[] = []
  await page.waitForFunction(() => document.body.dataset.live === 'open', undefined, { timeout: WAIT_MS })
  for (let i = 0; i < 3; i++) {
    const last = values.at(-1) ?? -1
    await page.waitForFunction(prev => Number((document.querySelector('#transfers progress') as unknown as Valued | null)?.value ?? -1) > prev, last, { timeout: WAIT_MS })
    values.push(await row.locator("progress").evaluate(p => Number((p as unknown as Valued).value)))
  }
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 1, 'updated in place, not reloaded')
  assert.ok(values[2]! < BIG_BYTES, `still running when paused (${values.join(', ')})`)
  // A rate shows while it runs (a sample taken in a stall reads '-': wait for one, do not snapshot).
  await page.waitForFunction(() => /\/s$/.test((document.querySelector('#transfers tbody tr [data-f=down]') as unknown as { textContent: string | null } | null)?.textContent?.trim() ?? ''), undefined, { timeout: WAIT_MS })
  await shot(page, 'transfers-live')

  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), row.locator('button[data-action=pause]').click()])
  await page.waitForFunction(() => document.querySelector('#transfers [data-f=state]')?.getAttribute('data-state') === 'paused', undefined, { timeout: WAIT_MS })
  const client = new DaemonClient(apiSocket(leecher.dataDir))
  const paused = (await client.transfers())[0]!
  assert.equal(paused.state, 'paused')
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal((await client.transfers())[0]!.bytesDone, paused.bytesDone, 'nothing arrives while paused')
  await shot(page, 'transfers-paused')

  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.locator('#transfers button[data-action=resume]').click()])
  // Done: complete, or seeding on (a daemon keeps seeding what it fetched, within its limits).
  await page.waitForFunction(() => ['complete', 'seeding'].includes(document.querySelector('#transfers [data-f=state]')?.getAttribute('data-state') ?? ''), undefined, { timeout: WAIT_MS })
  const done = (await client.transfers())[0]!
  assert.ok(['complete', 'seeding'].includes(done.state), done.state)
  assert.equal(done.bytesDone, BIG_BYTES)
  assert.ok(existsSync(join(dir, 'got', 'big', 'big.bin')))
})

test('play a video while it downloads: currentTime advances, a seek lands', { skip }, async () => {
  assert.ok(clipLink != null, 'the share test ran')
  const { page } = await loggedIn(leecher)
  await page.goto(`${uiB.origin}/play`)
  await page.fill('#play-form input[name=link]', clipLink)
  await page.fill('#play-form input[name=peer]', seeder.address)
  await page.click('#play-form button[type=submit]')
  await page.waitForURL(/\/play\/[^/?]+\?file=/, { timeout: WAIT_MS })
  const video = page.locator('video#player')
  assert.match(await video.getAttribute('src') ?? '', /^\/media\//, 'served by this origin')
  await video.evaluate(async v => { const el = v as unknown as Media; el.muted = true; await el.play() })
  await page.waitForFunction(() => ((document.getElementById('player') as unknown as Media).currentTime) > 1, undefined, { timeout: WAIT_MS })
  await shot(page, 'player')
  const landed = await video.evaluate(async v => {
    const el = v as unknown as Media
    const seeked = new Promise(resolve => { el.addEventListener('seeked', resolve, { once: true }) })
    el.currentTime = 14
    await seeked
    return el.currentTime
  })
  assert.ok(landed >= 13.5, `the seek landed at ${landed}`)
  await page.waitForFunction(() => ((document.getElementById('player') as unknown as Media).currentTime) > 14.5, undefined, { timeout: WAIT_MS })
  assert.equal(await video.evaluate(v => (v as unknown as Media).error), null)
  // The stream is one of the daemon's transfers: listed, with a cancel button and no pause.
  const stream = (await new DaemonClient(apiSocket(leecher.dataDir)).transfers()).find(x => x.kind === 'stream')
  assert.ok(stream != null, 'the player\'s stream is listed with the transfers')
  await page.goto(`${uiB.origin}/transfers`)
  const row = page.locator(`#transfers tbody tr[data-transfer="${stream.id}"]`)
  assert.equal(await row.locator('button[data-action=cancel]').count(), 1)
  assert.equal(await row.locator('button[data-action=pause], button[data-action=resume]').count(), 0, 'a stream is not paused')
})

test('switch the language', { skip }, async () => {
  const { page } = await loggedIn(leecher)
  await page.goto(`${uiB.origin}/shares`)
  assert.equal(await page.getAttribute('html', 'lang'), 'en')
  await page.click('header a[data-lang=de]')
  await page.waitForFunction(() => document.documentElement.lang === 'de', undefined, { timeout: WAIT_MS })
  assert.equal(new URL(page.url()).pathname, '/shares', 'back on the same page')
  assert.match(await page.locator('nav').innerText(), /Übertragungen/)
  assert.match(await page.locator('h1').innerText(), /Freigaben/)
  await shot(page, 'shares-de')
  await page.click('header a[data-lang=en]')
  await page.waitForFunction(() => document.documentElement.lang === 'en', undefined, { timeout: WAIT_MS })
  assert.match(await page.locator('nav').innerText(), /Transfers/)
})

test('without JavaScript (Tor Browser at "safer"): share, fetch, pause, resume and cancel are plain forms', { skip }, async () => {
  const login = async (d: Daemon): Promise<Page> => {
    const ui = await startUi(d)
    const context = await browser.newContext({ javaScriptEnabled: false })
    cleanups.unshift(async () => { await context.close() })
    const page = await context.newPage()
    assert.equal((await page.goto(ui.url))?.status(), 200)
    return page
  }
  const a = await login(seeder)
  await a.goto(`${uiA.origin}/shares`)
  await a.fill('#share-form input[name=path]', join(dir, 'plain'))
  await Promise.all([a.waitForEvent('load', { timeout: WAIT_MS }), a.click('#share-form button[type=submit]')])
  const row = a.locator('#shares tbody tr', { hasText: 'plain' })
  const link = await row.locator('input.link').inputValue()
  assert.equal(await row.locator('button.copy').isVisible(), false, 'the copy button needs the script')
  await row.locator('details.qr summary').click()
  assert.equal(await row.locator('details.qr svg').isVisible(), true, 'the QR code does not')

  const b = await login(leecher)
  await b.goto(`${uiB.origin}/fetch`)
  await b.fill('#fetch-form input[name=link]', link)
  await b.fill('#fetch-form input[name=output]', join(dir, 'plain-got'))
  await b.fill('#fetch-form input[name=peer]', seeder.address)
  await Promise.all([b.waitForEvent('load', { timeout: WAIT_MS }), b.click('#fetch-form button[type=submit]')])
  assert.match(b.url(), /\/transfers\/[^/]+$/)
  const id = decodeURIComponent(new URL(b.url()).pathname.split('/').pop()!)
  assert.equal(await b.locator('noscript p').count(), 1, 'it says to reload')
  const state = async (): Promise<string | null> => await b.locator('#transfer [data-f=state]').getAttribute('data-state')
  assert.equal(await state(), 'fetching')
  await Promise.all([b.waitForEvent('load', { timeout: WAIT_MS }), b.click('#transfer button[data-action=pause]')])
  assert.match(b.url(), new RegExp(`/transfers/${id}$`), 'back on the transfer')
  assert.equal(await state(), 'paused')
  await Promise.all([b.waitForEvent('load', { timeout: WAIT_MS }), b.click('#transfer button[data-action=resume]')])
  assert.equal(await state(), 'fetching')
  await shot(b, 'no-script-transfer')
  await Promise.all([b.waitForEvent('load', { timeout: WAIT_MS }), b.click('#transfer button[data-action=cancel]')])
  assert.equal(new URL(b.url()).pathname, '/transfers')
  const client = new DaemonClient(apiSocket(leecher.dataDir))
  assert.equal((await client.transfers()).some(t => t.id === id), false, 'cancelled')
})

test('settings: limits saved through the form reach the config file; a bad value is a clear error', { skip }, async () => {
  const { page } = await loggedIn(leecher)
  await page.goto(`${uiB.origin}/settings`)
  await page.fill('#settings-form input[name=maxDownloadPerPeer]', '3MiB')
  await page.fill('#settings-form input[name=seedTime]', '7d')
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click('#settings-form button[type=submit]')])
  assert.equal(new URL(page.url()).search, '?saved')
  const client = new DaemonClient(apiSocket(leecher.dataDir))
  const config = await client.call('GET', '/config') as { values: Record<string, string> }
  assert.equal(config.values.maxDownloadPerPeer, '3MiB')
  assert.equal(config.values.seedTime, '7d')
  assert.equal(await page.locator('#settings-form input[name=seedTime]').inputValue(), '7d')
  await page.fill('#settings-form input[name=maxUpload]', 'fast')
  const [answer] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST', { timeout: WAIT_MS }), page.click('#settings-form button[type=submit]')])
  assert.equal(answer.status(), 400)
  assert.match(await page.locator('main .error').innerText(), /fast/)
  assert.equal((await client.call('GET', '/config') as { values: Record<string, string> }).values.maxUpload, undefined)
})

test('a page of another local origin cannot read or drive the UI or its API', { skip }, async () => {
  const { page } = await loggedIn(leecher)
  const client = new DaemonClient(apiSocket(leecher.dataDir))
  const before = (await client.transfers()).length
  const ui = uiB.origin
  // The attacker's page, on another port of 127.0.0.1 (same site for cookies, another origin).
  const evil: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<!doctype html><body><iframe name="sink"></iframe>
<form id="f" method="post" action="${ui}/fetch" target="sink"><input name="link" value="${bigLink}"><input name="output" value="/tmp/evil"><input name="peer" value="${seeder.address}"></form>
<script>
window.results = {}
const settle = (k, v) => { window.results[k] = v }
fetch('${ui}/api/v0/status', { credentials: 'include' }).then(r => r.text()).then(t => settle('fetchRead', t), e => settle('fetchRead', 'blocked'))
fetch('${ui}/api/v0/transfers', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ link: '${bigLink}', output: '/tmp/evil', peers: ['${seeder.address}'] }) }).then(() => settle('fetchPost', 'sent'), () => settle('fetchPost', 'blocked'))
const x = new XMLHttpRequest(); x.open('GET', '${ui}/api/v0/shares'); x.withCredentials = true
x.onload = () => settle('xhr', x.responseText); x.onerror = () => settle('xhr', 'blocked'); x.send()
const ws = new WebSocket('${ui.replace('http:', 'ws:')}/api/v0/events')
ws.onmessage = m => settle('ws', 'message: ' + m.data); ws.onerror = () => settle('ws', 'blocked')
document.getElementById('f').submit()
</script></body>`)
  })
  await new Promise<void>(resolve => { evil.listen(0, '127.0.0.1', resolve) })
  cleanups.unshift(async () => { await new Promise<void>(resolve => { evil.close(() => { resolve() }) }) })
  const evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`
  // The form's POST (into the iframe) finished or failed: the UI has had it.
  const formDone = new Promise<void>(resolve => {
    const done = (r: { method: () => string, url: () => string }): void => { if (r.method() === 'POST' && r.url() === `${ui}/fetch`) resolve() }
    page.on('requestfinished', done)
    page.on('requestfailed', done)
  })
  await page.goto(evilOrigin)
  await page.waitForFunction(() => { const r = (window as unknown as { results: Record<string, string> }).results; return r != null && ['fetchRead', 'fetchPost', 'xhr', 'ws'].every(k => k in r) }, undefined, { timeout: WAIT_MS })
  const results = await page.evaluate(() => (window as unknown as { results: Record<string, string> }).results)
  assert.equal(results.fetchRead, 'blocked')
  assert.equal(results.xhr, 'blocked')
  assert.equal(results.ws, 'blocked')
  // The no-cors POST had its answer (fetchPost settled above); the form's is waited for.
  await within(formDone, WAIT_MS, 'the form post to finish')
  assert.equal((await client.transfers()).length, before, 'no transfer was started from the other origin')
  assert.equal(existsSync('/tmp/evil'), false)

  // The same requests with the session cookie, as a browser would send them: refused by Origin
  // and fetch metadata before any session is looked at.
  const cookie = (await page.context().cookies(ui)).map(c => `${c.name}=${c.value}`).join('; ')
  const port = new URL(ui).port
  const ask = async (headers: Record<string, string>, method = 'GET', path = '/api/v0/status'): Promise<number> => await new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { cookie, ...headers } }, res => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', reject)
    req.end()
  })
  assert.equal(await ask({}), 200, 'the cookie is a live session')
  assert.equal(await ask({ origin: evilOrigin }), 403)
  assert.equal(await ask({ 'sec-fetch-site': 'same-site' }), 403)
  assert.equal(await ask({ 'content-type': 'application/x-www-form-urlencoded' }, 'POST', '/fetch'), 403, 'a state change without Origin')
})

test('a wrong Host gets nothing (DNS rebinding), in the browser too', { skip }, async () => {
  const { page } = await loggedIn(leecher)
  const port = new URL(uiB.origin).port
  const rebound = await page.goto(`http://rebind.test:${port}/transfers`)
  assert.equal(rebound?.status(), 403)
  assert.match(await page.locator('body').innerText(), /forbidden host/)
  const cookie = (await page.context().cookies(uiB.origin)).map(c => `${c.name}=${c.value}`).join('; ')
  for (const host of [`rebind.test:${port}`, `localhost:${port}`, '127.0.0.1', `127.0.0.1:${Number(port) + 1}`]) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/v0/status', headers: { host, cookie } }, res => { res.resume(); resolve(res.statusCode ?? 0) })
      req.on('error', reject)
      req.end()
    })
    assert.equal(status, 403, `Host: ${host}`)
  }
})

test('webui stop ends it; webui needs a daemon (one clear error)', { skip }, async () => {
  const r = await ohtJson<{ running: boolean }>(leecher.dataDir, ['webui', 'stop'])
  assert.equal(r.value.running, false)
  const refused = await new Promise<string>(resolve => {
    const req = request(`${uiB.origin}/transfers`, res => { res.resume(); resolve(`answered ${res.statusCode}`) })
    req.on('error', err => { resolve((err as NodeJS.ErrnoException).code ?? 'error') })
    req.end()
  })
  assert.equal(refused, 'ECONNREFUSED')
  assert.equal((await ohtJson<{ running: boolean }>(leecher.dataDir, ['webui', 'status'])).value.running, false)
  assertCliError(await oht(join(dir, 'no-daemon'), ['webui', 'start']), /start `oht daemon` first/)
  assertCliError(await oht(seeder.dataDir, ['webui', 'start', '--port', 'x']), /not a port: x/)
  assertCliError(await oht(leecher.dataDir, ['webui', 'start', '--onion']), /needs a daemon on the Tor transport \(it runs on tcp\)/)
})
