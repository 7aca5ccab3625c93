// The web UI's contacts pages in Debian's chromium (playwright-core), over three real daemons
// on 127.0.0.1 (TCP), each running for its own account. alice uses the UI without JavaScript
// (every step a plain form); bob with the script, whose pages update live from the event stream.
// alice asks bob (found through the DHT); the request shows on bob's open page by itself, its
// text as text (markup inert); bob accepts under a petname; whispers both ways, one arriving on
// bob's open conversation without a reload; a message to every contact; a stranger's request
// rejected (it cannot ask again); an introduction shown "via" the introducer; a name published on alice's page, resolved by her petname
// and fetched from bob's; a contact removed and blocked; a bad account id is one clear
// error; the strict CSP.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, loginUi, NO_CHROMIUM, submitForm, WAIT_MS } from '../helpers/webui.ts'
import { oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { createAccounts, nextEvent, startDaemon } from '../helpers/daemon.ts'

const skip = NO_CHROMIUM
const cleanups: Array<() => Promise<void>> = []
after(async () => { for (const c of cleanups) await c() })

test('contacts in the web UI: requests, acceptance, whispers, presence, contactcast, reject', { skip, timeout: 300_000 }, async t => {
  const dir = await tempDir(t, 'oht-webui-contacts-')
  const shots = await mkdtemp(join(tmpdir(), 'oht-webui-contacts-shots-'))
  const ids: Record<string, string> = {}
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  const presence = ['--presence-interval', '2s']
  const alice = await startDaemon(join(dir, 'alice'), [], 60_000, presence)
  cleanups.push(async () => { await alice.stop() })
  const bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', alice.address], 60_000, presence)
  cleanups.push(async () => { await bob.stop() })
  const carol = await startDaemon(join(dir, 'carol'), [])
  cleanups.push(async () => { await carol.stop() })
  const browser = await chromium.launch({ executablePath: CHROMIUM })
  cleanups.unshift(async () => { await browser.close() })
  t.after(() => { process.stdout.write(`# web UI contacts screenshots: ${shots}\n`) })

  const a = await loginUi(browser, alice, false, cleanups)
  const b = await loginUi(browser, bob, true, cleanups)
  const answer = await a.page.goto(`${a.origin}/contacts`)
  assert.equal(answer?.status(), 200)
  assert.match(answer!.headers()['content-security-policy'] ?? '', /default-src 'none'; script-src 'self'/)
  assert.equal(await a.page.locator('#account').innerText(), ids.alice)
  assert.match(await a.page.locator('main').innerText(), /No contacts yet/)

  // bob's page is open (with the script) before the request arrives.
  await b.page.goto(`${b.origin}/contacts`)
  await b.page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.live === 'open', undefined, { timeout: WAIT_MS })

  await a.page.fill('#request-form input[name=account]', ids.bob!)
  await a.page.fill('#request-form input[name=message]', 'hi, it is <b>Alice</b>')
  await a.page.fill('#request-form input[name=petname]', 'bob')
  await submitForm(a.page, '#request-form')
  assert.match(await a.page.locator('.note').innerText(), /Request delivered: bob becomes a contact when it accepts/)
  assert.match(await a.page.locator('#contacts tr[data-contact="bob"]').innerText(), /asked, no answer yet/)

  // The request appears on bob's open page by itself; alice's words are text, not markup.
  const request = b.page.locator(`#requests tr[data-request="${ids.alice}"]`)
  await request.waitFor({ timeout: WAIT_MS })
  assert.equal(await request.locator('blockquote.said').innerText(), 'hi, it is <b>Alice</b>')
  assert.equal(await request.locator('blockquote.said b').count(), 0)
  await b.page.screenshot({ path: join(shots, 'request.png'), fullPage: true })
  await request.locator('input[name=petname]').fill('alice')
  await Promise.all([b.page.waitForEvent('load', { timeout: WAIT_MS }), request.locator('button', { hasText: 'Accept' }).click()])
  assert.match(await b.page.locator('.note').innerText(), /alice is a contact/)
  assert.equal(await b.page.locator('#requests').count(), 0)

  // bob whispers from the contacts page: he lands on the conversation.
  await b.page.selectOption('#whisper-form select[name=contact]', 'alice')
  await b.page.fill('#whisper-form input[name=text]', 'meet at noon, the blue door')
  await submitForm(b.page, '#whisper-form')
  assert.equal(new URL(b.page.url()).pathname, '/contacts/alice')
  assert.match(await b.page.locator('.note').innerText(), /Delivered to alice/)
  assert.match(await b.page.locator('#messages li.out').innerText(), /me: meet at noon, the blue door/)

  // alice, without the script: bob is a contact, online; his message is in the conversation.
  await a.page.goto(`${a.origin}/contacts`)
  assert.match(await a.page.locator('#contacts tr[data-contact="bob"]').innerText(), /online/)
  await a.page.click('#contacts a[href="/contacts/bob"]')
  assert.match(await a.page.locator('#messages li.in').innerText(), /bob: meet at noon, the blue door/)
  await a.page.fill('#whisper-form input[name=text]', 'see you there')
  await submitForm(a.page, '#whisper-form')
  assert.match(await a.page.locator('.note').innerText(), /Delivered to bob/)
  // ... and it shows on bob's open conversation without a reload.
  await b.page.locator('#messages li.in', { hasText: 'see you there' }).waitFor({ timeout: WAIT_MS })
  await b.page.screenshot({ path: join(shots, 'conversation.png'), fullPage: true })

  // One message to every contact.
  await a.page.goto(`${a.origin}/contacts`)
  await a.page.fill('#cast-form input[name=text]', 'lunch at one?')
  await submitForm(a.page, '#cast-form')
  assert.match(await a.page.locator('#cast-results').innerText(), /delivered to bob/)
  await b.page.locator('#messages li.in', { hasText: 'lunch at one?' }).waitFor({ timeout: WAIT_MS })

  // A stranger's request, rejected from the page: carol cannot ask again.
  const knock = await oht(carol.dataDir, ['contact', 'request', ids.alice!, 'let me in', '--address', alice.address])
  assert.equal(knock.code, 0, knock.stderr)
  await a.page.goto(`${a.origin}/contacts`)
  const carolRow = a.page.locator(`#requests tr[data-request="${ids.carol}"]`)
  assert.match(await carolRow.innerText(), /let me in/)
  await Promise.all([a.page.waitForEvent('load', { timeout: WAIT_MS }), carolRow.locator('button', { hasText: 'Reject' }).click()])
  assert.match(await a.page.locator('.note').innerText(), /Rejected .*: it cannot ask again/)
  const again = await oht(carol.dataDir, ['contact', 'request', ids.alice!, 'please', '--address', alice.address])
  assert.notEqual(again.code, 0)
  assert.match(again.stderr, /does not take requests from you/)

  // An introduction: alice (now with carol as a contact) introduces carol to bob; bob's open page
  // shows her account "via alice", with a request button.
  await ohtJson(alice.dataDir, ['contact', 'add', ids.carol!, 'carol', '--address', carol.address])
  await ohtJson(carol.dataDir, ['contact', 'add', ids.alice!, 'alice', '--address', alice.address])
  await b.page.goto(`${b.origin}/contacts`)
  await b.page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.live === 'open', undefined, { timeout: WAIT_MS })
  const introduced = await oht(alice.dataDir, ['contact', 'introduce', 'carol', 'bob'], { timeoutMs: 90_000 })
  assert.equal(introduced.code, 0, introduced.stderr)
  const intro = b.page.locator(`#introductions tr[data-introduction="${ids.carol}"]`)
  await intro.waitFor({ timeout: WAIT_MS })
  assert.match(await intro.innerText(), /via alice/)

  // A malformed account id: one clear error, and the way back to the contacts.
  await a.page.fill('#add-form input[name=account]', 'not-an-account')
  await a.page.fill('#add-form input[name=petname]', 'x')
  const [bad] = await Promise.all([a.page.waitForResponse(r => r.request().method() === 'POST', { timeout: WAIT_MS }), a.page.click('#add-form button[type=submit]')])
  assert.equal(bad.status(), 400)
  assert.match(await a.page.locator('main .error').innerText(), /account/)
  assert.equal(await a.page.locator('main a', { hasText: 'Back' }).getAttribute('href'), '/contacts')

  // Names: alice publishes one for a share; bob resolves it by her petname and fetches it from the page.
  const file = join(dir, 'holiday.txt')
  await writeFile(file, 'sand, sea and a very long nap\n'.repeat(300))
  const { value: shared } = await ohtJson<{ link: string }>(alice.dataDir, ['share', file], { timeoutMs: 90_000 })
  await a.page.goto(`${a.origin}/names`)
  assert.match(await a.page.locator('main').innerText(), /You publish no names yet/)
  await a.page.fill('#publish-form input[name=name]', 'holiday')
  await a.page.fill('#publish-form input[name=target]', shared.link)
  await submitForm(a.page, '#publish-form')
  assert.match(await a.page.locator('.note').innerText(), /holiday is published/)
  assert.equal(await a.page.locator('#names tr[data-name="holiday"] code.target').innerText(), shared.link)
  await b.page.goto(`${b.origin}/names`)
  await b.page.fill('#resolve-form input[name=ref]', 'alice/holiday')
  await submitForm(b.page, '#resolve-form')
  assert.equal(await b.page.locator('#resolved input.link').inputValue(), shared.link)
  await b.page.screenshot({ path: join(shots, 'names.png'), fullPage: true })
  const fetched = await nextEvent(bob, e => e.type === 'transfer:state' && (e.state === 'complete' || e.state === 'seeding'))
  await Promise.all([b.page.waitForEvent('load', { timeout: WAIT_MS }), b.page.click('#resolved button[type=submit]')])
  assert.match(new URL(b.page.url()).pathname, /^\/transfers\/[^/]+$/)
  const done = await fetched.event
  fetched.close()
  assert.ok(done.type === 'transfer:state' && done.result != null)
  assert.equal(await readFile(done.result.path, 'utf8'), await readFile(file, 'utf8'))
  await b.page.goto(`${b.origin}/names?ref=${encodeURIComponent('alice/nothing-here')}`)
  assert.match(await b.page.locator('#resolved.error').innerText(), /nothing-here/)
  await Promise.all([a.page.waitForEvent('load', { timeout: WAIT_MS }), a.page.click('#names tr[data-name="holiday"] button[type=submit]')])
  assert.match(await a.page.locator('.note').innerText(), /holiday is no longer published/)

  // bob removes alice (and blocks her) from her page.
  await b.page.goto(`${b.origin}/contacts/alice`)
  await b.page.check('#rm-form input[name=block]')
  await submitForm(b.page, '#rm-form')
  assert.equal(new URL(b.page.url()).pathname, '/contacts')
  assert.match(await b.page.locator('.note').innerText(), /alice removed/)
  assert.equal(await b.page.locator('#contacts').count(), 0)

  // German.
  await a.page.goto(`${a.origin}/lang/de?next=/contacts`)
  assert.equal(await a.page.locator('h1').innerText(), 'Kontakte')
  await a.page.screenshot({ path: join(shots, 'contacts-de.png'), fullPage: true })
})
