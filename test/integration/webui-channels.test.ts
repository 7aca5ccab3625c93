// The web UI's channel pages in Debian's chromium (playwright-core), over two real daemons on
// 127.0.0.1 (TCP). alice uses the UI with the script: she creates a private channel, invites bob,
// posts; bob (CLI) joins by the id alone and posts markup, which shows on alice's open page by
// itself, as text; alice shares a link, removes bob from the members table; an unknown account is
// one clear error with the way back.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { ohtJson, tempDir } from '../helpers/cli.ts'
import { createAccounts, startDaemon } from '../helpers/daemon.ts'
import type { ChannelReading } from '../../src/people/channels/index.ts'

const CHROMIUM = '/usr/bin/chromium'
const WAIT_MS = 90_000
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
const cleanups: Array<() => Promise<void>> = []
after(async () => { for (const c of cleanups) await c() })
const LINK = 'oht://bafyreig376r6shtdf5f6ih64n2rk673ghep6hgvuzjy5nw2lwmn5kjuww4#' + 'A'.repeat(43)

async function submit (page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click(`${selector} button[type=submit]`)])
}

test('channels in the web UI: create, invite, posts live and escaped, a shared link, a member removed', { skip, timeout: 300_000 }, async t => {
  const dir = await tempDir(t, 'oht-webui-channels-')
  const ids: Record<string, string> = {}
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob']))
  const alice = await startDaemon(join(dir, 'alice'))
  cleanups.push(async () => { await alice.stop() })
  const bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', alice.address])
  cleanups.push(async () => { await bob.stop() })
  const browser = await chromium.launch({ executablePath: CHROMIUM })
  cleanups.unshift(async () => { await browser.close() })
  const ui = (await ohtJson<{ origin: string, url: string }>(alice.dataDir, ['webui', 'start'])).value
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } })
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  assert.equal((await page.goto(ui.url))?.status(), 200)

  assert.equal((await page.goto(`${ui.origin}/channels`))?.status(), 200)
  assert.match(await page.locator('main').innerText(), /No channels yet/)
  await page.fill('#create-form input[name=name]', 'garden')
  await page.check('#create-form input[name=private]')
  await submit(page, '#create-form')
  const id = await page.locator('#channel-id').innerText()
  assert.match(id, /^[0-9a-f]{64}$/)
  assert.match(await page.locator('.note').innerText(), /Channel created/)

  await page.fill('#invite-form input[name=account]', ids.bob!)
  await submit(page, '#invite-form')
  assert.match(await page.locator(`#members tr[data-member="${ids.bob}"]`).innerText(), /writer/)
  await page.fill('#post-form input[name=text]', 'the roses are out')
  await submit(page, '#post-form')
  assert.match(await page.locator('#posts').innerText(), /the roses are out/)

  // bob joins with the id alone and posts markup: it shows on alice's open page by itself, as text.
  await ohtJson(bob.dataDir, ['channel', 'join', id], { timeoutMs: 90_000 })
  await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.live === 'open', undefined, { timeout: WAIT_MS })
  await ohtJson(bob.dataDir, ['channel', 'post', id, '<b>tulips</b> too'])
  const said = page.locator('#posts li', { hasText: '<b>tulips</b> too' })
  await said.waitFor({ timeout: WAIT_MS })
  assert.equal(await said.locator('b').count(), 0)

  await page.fill('#share-form input[name=link]', LINK)
  await page.fill('#share-form input[name=title]', 'seed catalogue')
  await page.fill('#share-form input[name=size]', '1048576')
  await submit(page, '#share-form')
  assert.match(await page.locator('#posts li.share').innerText(), /seed catalogue \(1(\.0+)? MiB\)/)

  // Removing bob from the members table: he is gone, and reads nothing after.
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.locator(`#members tr[data-member="${ids.bob}"] button`).click()])
  assert.match(await page.locator('.note').innerText(), /Removed/)
  assert.equal(await page.locator(`#members tr[data-member="${ids.bob}"]`).count(), 0)
  await page.fill('#post-form input[name=text]', 'bob is gone')
  await submit(page, '#post-form')
  await ohtJson(bob.dataDir, ['channel', 'sync', id, '--peer', alice.address], { timeoutMs: 90_000 })
  const asBob = (await ohtJson<ChannelReading>(bob.dataDir, ['channel', 'read', id])).value
  assert.equal(asBob.posts.at(-1)!.unreadable, true)

  // An account that is neither an id nor a contact's name: one clear error, and the way back.
  await page.fill('#invite-form input[name=account]', 'not-an-account')
  const [bad] = await Promise.all([page.waitForResponse(r => r.request().method() === 'POST', { timeout: WAIT_MS }), page.click('#invite-form button[type=submit]')])
  assert.equal(bad.status(), 404)
  assert.match(await page.locator('main .error').innerText(), /no contact "not-an-account"/)
  assert.equal(await page.locator('main a', { hasText: 'Back' }).getAttribute('href'), `/channels/${id}`)
})
