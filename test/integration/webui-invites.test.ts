// Invite codes in the web UI, in Debian's chromium without JavaScript (every step a plain form),
// over two real daemons on 127.0.0.1 (TCP) each running for its own account: alice sends a file
// by a code from the Send page (the code shown from the daemon's list, never put in a URL); bob
// receives it from his Send page, byte-identical; the used code fails a second time with one
// clear error; a contact invite code made on alice's contacts page and used on bob's makes them
// contacts of each other; then a file sent from alice's page for bob is fetched from his
// conversation when he asks.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { CHROMIUM, loginUi, NO_CHROMIUM, submitForm, WAIT_MS } from '../helpers/webui.ts'
import { tempDir } from '../helpers/cli.ts'
import { createAccounts, nextEvent, startDaemon } from '../helpers/daemon.ts'

const skip = NO_CHROMIUM
const cleanups: Array<() => Promise<void>> = []
after(async () => { for (const c of cleanups) await c() })

const CODE = /^\d+-[a-z]+-[a-z]+$/

test('invite codes in the web UI: a file by code, and a contact by code', { skip, timeout: 300_000 }, async t => {
  const dir = await tempDir(t, 'oht-webui-invites-')
  const ids: Record<string, string> = {}
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob']))
  const alice = await startDaemon(join(dir, 'alice'))
  cleanups.push(async () => { await alice.stop() })
  const bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', alice.address])
  cleanups.push(async () => { await bob.stop() })
  const browser = await chromium.launch({ executablePath: CHROMIUM })
  cleanups.unshift(async () => { await browser.close() })
  const a = await loginUi(browser, alice, false, cleanups)
  const b = await loginUi(browser, bob, false, cleanups)

  const file = join(dir, 'notes.bin')
  await writeFile(file, randomBytes(300 * 1024))
  await a.page.goto(`${a.origin}/send`)
  await a.page.fill('#send-form input[name=path]', file)
  await submitForm(a.page, '#send-form')
  const code = (await a.page.locator('#opened code').innerText()).trim()
  assert.match(code, CODE)
  assert.ok(!a.page.url().includes(code), 'the code is not in the address')
  assert.match(await a.page.locator(`#invites tr`, { hasText: code }).innerText(), /notes\.bin.*open/s)

  await b.page.goto(`${b.origin}/send`)
  await b.page.fill('#receive-form input[name=code]', code)
  await b.page.fill('#receive-form input[name=output]', join(dir, 'got'))
  const done = await nextEvent(bob, e => e.type === 'transfer:state' && (e.state === 'complete' || e.state === 'seeding'))
  await submitForm(b.page, '#receive-form')
  assert.match(new URL(b.page.url()).pathname, /^\/transfers\/[^/]+$/)
  const e = await done.event
  done.close()
  assert.ok(e.type === 'transfer:state' && e.result != null)
  assert.deepEqual(await readFile(join(dir, 'got', 'notes.bin')), await readFile(file))
  await a.page.goto(`${a.origin}/send`)
  assert.match(await a.page.locator(`#invites tr`, { hasText: code }).innerText(), /used/)

  // The same code again: one clear error, and the way back to the Send page.
  await b.page.goto(`${b.origin}/send`)
  await b.page.fill('#receive-form input[name=code]', code)
  const [again] = await Promise.all([b.page.waitForResponse(r => r.request().method() === 'POST', { timeout: WAIT_MS }), b.page.click('#receive-form button[type=submit]')])
  assert.equal(again.status(), 400)
  assert.match(await b.page.locator('main .error').innerText(), /already used/)
  assert.equal(await b.page.locator('main a', { hasText: 'Back' }).getAttribute('href'), '/send')

  // A contact by code: alice makes one on her contacts page, bob uses it on his.
  await a.page.goto(`${a.origin}/contacts`)
  await a.page.fill('#invite-form input[name=petname]', 'bob')
  await submitForm(a.page, '#invite-form')
  const contactCode = (await a.page.locator('#opened code').innerText()).trim()
  assert.match(contactCode, CODE)
  await b.page.goto(`${b.origin}/contacts`)
  await b.page.fill('#invite-use-form input[name=code]', contactCode)
  await b.page.fill('#invite-use-form input[name=petname]', 'alice')
  await submitForm(b.page, '#invite-use-form')
  assert.match(await b.page.locator('.note').innerText(), /alice is a contact/)
  assert.match(await b.page.locator('#contacts tr[data-contact="alice"]').innerText(), new RegExp(ids.alice!.slice(0, 16)))
  await a.page.goto(`${a.origin}/contacts`)
  assert.equal(await a.page.locator('#contacts tr[data-contact="bob"]').count(), 1)

  // A file to a contact from its page; bob fetches it from the conversation when he chooses to.
  const photo = join(dir, 'photo.bin')
  await writeFile(photo, randomBytes(200 * 1024))
  await a.page.goto(`${a.origin}/contacts/bob`)
  await a.page.fill('#file-form input[name=path]', photo)
  await submitForm(a.page, '#file-form')
  assert.match(await a.page.locator('.note').innerText(), /Delivered to bob/)
  assert.match(await a.page.locator('#messages li.out').innerText(), /a file: photo\.bin \(200 KiB\)/)
  await b.page.goto(`${b.origin}/contacts/alice`)
  const offered = b.page.locator('#messages li.in', { hasText: 'photo.bin' })
  assert.match(await offered.innerText(), /a file: photo\.bin/)
  const took = await nextEvent(bob, e => e.type === 'transfer:state' && (e.state === 'complete' || e.state === 'seeding'))
  await Promise.all([b.page.waitForEvent('load', { timeout: WAIT_MS }), offered.locator('button', { hasText: 'Fetch' }).click()])
  assert.match(new URL(b.page.url()).pathname, /^\/transfers\/[^/]+$/)
  const got = await took.event
  took.close()
  assert.ok(got.type === 'transfer:state' && got.result != null)
  assert.deepEqual(await readFile(got.result.path), await readFile(photo))
  await b.page.goto(`${b.origin}/contacts/alice`)
  assert.match(await b.page.locator('#messages li.in', { hasText: 'photo.bin' }).innerText(), /fetched/)
})
