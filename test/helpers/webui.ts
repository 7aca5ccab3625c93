// The web UI in Debian's chromium for tests (playwright-core; its own browser download cannot
// work here): log a fresh browser context in through `oht webui start`'s address, submit a form.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { ohtJson } from './cli.ts'
import type { Daemon } from './daemon.ts'

export const CHROMIUM = '/usr/bin/chromium'
/** Generous: only catches hangs (the machine is loaded). */
export const WAIT_MS = 90_000
/** The `skip` of a test that needs chromium. */
export const NO_CHROMIUM = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`

/** A new browser context logged in to the daemon's UI (started for it); closed by `cleanups`. */
export async function loginUi (browser: Browser, d: Daemon, javaScriptEnabled: boolean, cleanups: Array<() => Promise<void>>): Promise<{ page: Page, origin: string }> {
  const ui = (await ohtJson<{ origin: string, url: string }>(d.dataDir, ['webui', 'start'])).value
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1100, height: 900 } })
  cleanups.unshift(async () => { await context.close() })
  const page = await context.newPage()
  assert.equal((await page.goto(ui.url))?.status(), 200)
  return { page, origin: ui.origin }
}

/** Submits a form and waits for the page it leads to. */
export async function submitForm (page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load', { timeout: WAIT_MS }), page.click(`${selector} button[type=submit]`)])
}
