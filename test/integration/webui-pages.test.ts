// The web UI's pages that test/integration/webui.test.ts does not open, in Debian's chromium
// (playwright-core) against two real daemons over TCP: a transfer's file selection (a file
// unticked is skipped), the peers of a running fetch, a pin and its state, the DHT (a value
// stored through the form, then looked up), the UI's CSP with every request to its own origin, and
// the console's /webui (start prints a login address that works, status, stop ends it).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { nextEvent, startDaemon, type Daemon } from '../helpers/daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import { apiSocket } from '../../cli/context.ts'
import { SECURITY_HEADERS } from '../../src/node/webui/index.ts'
import { COMMANDS } from '../../cli/console/table.ts'
import type { ConsoleCommand } from '../../cli/console/spec.ts'

declare const document: any // eslint-disable-line @typescript-eslint/no-explicit-any

const CHROMIUM = '/usr/bin/chromium'
const WAIT_MS = 120_000
const FILE_BYTES = 1024 * 1024

const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
const cleanups: Array<() => Promise<void>> = []
let dir: string
let seeder: Daemon
let leecher: Daemon
let browser: Browser
let page: Page
let origin: string
const requests: string[] = []
let album: { link: string }
let small: { verifyCap: string, id: string }

before(async () => {
  if (skip !== false) return
  dir = await tempDir({ after: fn => { cleanups.push(async () => { await fn() }) } }, 'oht-webui-pages-')
  await mkdir(join(dir, 'album'))
  await writeFile(join(dir, 'album', 'a.bin'), randomBytes(FILE_BYTES))
  await writeFile(join(dir, 'album', 'b.bin'), randomBytes(FILE_BYTES))
  await writeFile(join(dir, 'small.bin'), randomBytes(100_000))
  // Slow enough that a.bin is still arriving when the test looks at the peers.
  seeder = await startDaemon(join(dir, 'a'), ['--max-upload', '64KiB'])
  cleanups.push(async () => { await seeder.stop() })
  leecher = await startDaemon(join(dir, 'b'), ['--bootstrap', seeder.address])
  cleanups.push(async () => { await leecher.stop() })
  album = (await ohtJson<{ link: string }>(seeder.dataDir, ['share', join(dir, 'album')])).value
  small = (await ohtJson<{ verifyCap: string, id: string }>(seeder.dataDir, ['share', join(dir, 'small.bin')])).value
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  cleanups.unshift(async () => { await browser.close() })
  const ui = (await ohtJson<{ origin: string, url: string }>(leecher.dataDir, ['webui', 'start'])).value
  origin = ui.origin
  const context = await browser.newContext()
  page = await context.newPage()
  page.on('request', r => { requests.push(r.url()) })
  assert.equal((await page.goto(ui.url))?.status(), 200)
})

after(async () => {
  for (const c of cleanups) await c().catch(() => {})
})

test('a transfer\'s file selection skips the file unticked; the peers page shows the seeder while it runs', { skip }, async () => {
  const client = new DaemonClient(apiSocket(leecher.dataDir))
  // Paused as soon as the file list is known, so the selection is made before the data is there.
  const metadata = await nextEvent(leecher, e => e.type === 'transfer:metadata')
  await page.goto(`${origin}/fetch`)
  await page.fill('#fetch-form input[name=link]', album.link)
  await page.fill('#fetch-form input[name=output]', join(dir, 'got'))
  await page.fill('#fetch-form input[name=peer]', seeder.address)
  await page.click('#fetch-form button[type=submit]')
  const { id } = await metadata.event as { id: string }
  metadata.close()
  await client.pauseTransfer(id)
  await page.goto(`${origin}/transfers/${encodeURIComponent(id)}`)
  await page.waitForFunction(() => document.body.dataset.live === 'open', undefined, { timeout: WAIT_MS })
  const skipB = page.locator('form[action$="/files"] input[value="album/b.bin"]')
  await skipB.uncheck()
  // An event re-renders the page while the box is unticked (the transfer resumes): the edit stays.
  await client.resumeTransfer(id)
  await page.waitForFunction(() => document.querySelector('[data-f=state]')?.getAttribute('data-state') === 'fetching', undefined, { timeout: WAIT_MS })
  assert.equal(await skipB.isChecked(), false, 'the live refresh kept the unticked box')
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click('form[action$="/files"] button[type=submit]')])
  assert.equal(new URL(page.url()).pathname, `/transfers/${encodeURIComponent(id)}`)
  const files = Object.fromEntries((await client.transfer(id)).files.map(f => [f.path, f.priority]))
  assert.deepEqual(files, { 'album/a.bin': 'normal', 'album/b.bin': 'skip' })

  await page.locator('#peers tbody code').first().waitFor({ timeout: WAIT_MS })
  await page.goto(`${origin}/peers`)
  assert.match(await page.locator('main').innerText(), new RegExp(seeder.nodeId.slice(0, 16)))

  await page.goto(`${origin}/transfers/${encodeURIComponent(id)}`)
  await page.waitForFunction(() => ['complete', 'seeding'].includes(document.querySelector('[data-f=state]')?.getAttribute('data-state') ?? ''), undefined, { timeout: WAIT_MS })
  assert.ok((await readFile(join(dir, 'got', 'album', 'a.bin'))).equals(await readFile(join(dir, 'album', 'a.bin'))))
  assert.equal(existsSync(join(dir, 'got', 'album', 'b.bin')), false, 'the skipped file was not written')
})

test('the pins page lists a pin with its state', { skip }, async () => {
  const pinned = await oht(leecher.dataDir, ['pin', small.verifyCap, '--peer', seeder.address], { timeoutMs: WAIT_MS })
  assert.equal(pinned.code, 0, pinned.stderr)
  await page.goto(`${origin}/pins`)
  const row = page.locator('#pins tbody tr', { hasText: small.id.slice(0, 24) })
  assert.equal(await row.count(), 1)
  assert.match(await row.innerText(), /\bactive\b/, 'the pin command waited for its blocks: the pin is active')
})

test('the DHT page stores a value through its form and finds it again', { skip }, async () => {
  await page.goto(`${origin}/dht`)
  await page.fill('form[action="/dht/put"] input[name=value]', 'hello from the web UI')
  await Promise.all([page.waitForURL(/\/dht\?stored=/, { timeout: WAIT_MS }), page.click('form[action="/dht/put"] button[type=submit]')])
  const ref = new URL(page.url()).searchParams.get('stored')!
  assert.ok(ref.length > 10)
  await page.fill('form[action="/dht"] input[name=ref]', ref)
  await Promise.all([page.waitForURL(/\/dht\?ref=/, { timeout: WAIT_MS }), page.click('form[action="/dht"] button[type=submit]')])
  assert.equal(await page.locator('pre.value').innerText(), 'hello from the web UI')
})

test('every page carries the strict CSP; everything the browser asked for came from the UI\'s own origin', { skip }, async () => {
  for (const path of ['/transfers', '/shares', '/fetch', '/play', '/pins', '/dht', '/peers', '/settings', '/contacts', '/names', '/send']) {
    const answer = await page.goto(`${origin}${path}`)
    assert.equal(answer?.status(), 200, path)
    assert.equal(answer?.headers()['content-security-policy'], SECURITY_HEADERS['content-security-policy'], path)
  }
  assert.ok(requests.length > 10)
  for (const r of requests) assert.ok(r.startsWith(`${origin}/`), `a request to another origin: ${r}`)
})

test('the console\'s /webui starts the UI with a login address that works, says it runs, and stops it', { skip }, async () => {
  const printed: string[] = []
  const ctx = { client: new DaemonClient(apiSocket(leecher.dataDir)), print: (text: string) => { printed.push(text) } } as unknown as Parameters<ConsoleCommand['run']>[0]
  const webui = COMMANDS.find(c => c.name === 'webui')!
  await webui.run(ctx, { args: [], options: {} })
  const url = printed.find(l => /^http:\/\/127\.0\.0\.1:\d+\/auth\?token=/.test(l))
  assert.ok(url != null, `a login address: ${printed.join(' | ')}`)
  const context = await browser.newContext()
  cleanups.unshift(async () => { await context.close() })
  const fresh = await context.newPage()
  assert.equal((await fresh.goto(url))?.status(), 200)
  assert.equal(new URL(fresh.url()).pathname, '/transfers')
  await webui.run(ctx, { args: ['status'], options: {} })
  assert.match(printed.at(-1)!, /web UI running on http:\/\/127\.0\.0\.1:\d+/)
  await webui.run(ctx, { args: ['stop'], options: {} })
  assert.equal(printed.at(-1), 'web UI stopped')
  await assert.rejects(fresh.goto(`${origin}/transfers`), /net::ERR_CONNECTION_REFUSED/)
  await assert.rejects(webui.run(ctx, { args: ['sideways'], options: {} }))
})
