// The web UI on its own onion service (`oht webui start --onion`) on the private Tor network
// (nothing touches the real one), reached the way Tor Browser reaches it: chromium through a
// client tor's SOCKS port. A client tor that holds the printed client key (Tor v3 client
// authorization, added as Tor Browser adds it) logs in and uses the UI; one without the key gets
// no connection at all.
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import type { WebUiStarted } from '../../src/node/index.ts'
import { startTestNetwork } from '../helpers/tor-network.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { ohtJson } from '../helpers/cli.ts'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
let network: TorTestNetwork
let clients: TorProcess[] = []
let dir = ''
let daemon: Daemon | undefined
const browsers: Browser[] = []

function torArgs (tor: TorProcess): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

/** Tor prints client keys in base32 (.auth_private files); its control port takes base64. */
function base32ToBase64 (text: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  const out: number[] = []
  for (const c of text.toLowerCase()) {
    value = (value << 5) | alphabet.indexOf(c)
    bits += 5
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8 }
  }
  return Buffer.from(out).toString('base64')
}

async function browserThrough (tor: TorProcess): Promise<Browser> {
  const b = await chromium.launch({ executablePath: CHROMIUM, proxy: { server: `socks5://127.0.0.1:${tor.socks!.port}` } })
  browsers.push(b)
  return b
}

before(async () => {
  if (skip !== false) return
  dir = await mkdtemp(join(tmpdir(), 'oht-tor-webui-'))
  network = await startTestNetwork()
  clients = await Promise.all([network.startClient(), network.startClient(), network.startClient()])
  daemon = await startDaemon(join(dir, 'node'), torArgs(clients[0]!), 120_000)
})

after(async () => {
  for (const b of browsers) await b.close()
  await daemon?.stop()
  await network?.stop()
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

describe('the web UI over an onion service with client authorization', { timeout: 400_000, skip }, () => {
  it('with the client key chromium logs in through tor and uses the UI; without it gets nothing', async () => {
    const started = (await ohtJson<WebUiStarted>(daemon!.dataDir, ['webui', 'start', '--onion'], { timeoutMs: 150_000 })).value
    const onion = started.onion!
    assert.match(onion.origin, /^http:\/\/[a-z2-7]{56}\.onion$/)
    const serviceId = new URL(onion.origin).hostname.slice(0, -'.onion'.length)
    assert.match(onion.clientKey, /^[A-Z2-7]{52}$/)
    assert.equal(onion.authLine, `${serviceId}:descriptor:x25519:${onion.clientKey}`)

    // No key: tor fetches the descriptor and cannot decrypt it; the browser gets no connection.
    const without = await (await browserThrough(clients[1]!)).newPage()
    await assert.rejects(without.goto(onion.url, { timeout: 150_000 }), /net::ERR_/)

    // With the key, as Tor Browser adds it when it asks for one.
    await clients[2]!.control.command(`ONION_CLIENT_AUTH_ADD ${serviceId} x25519:${base32ToBase64(onion.clientKey)}`)
    const page = await (await browserThrough(clients[2]!)).newPage()
    const answer = await page.goto(onion.url, { timeout: 150_000 })
    assert.equal(answer?.status(), 200)
    assert.equal(page.url(), `${onion.origin}/transfers`)
    assert.match(await page.locator('nav').innerText(), /Shares/)
    // A state change over the onion origin passes the Origin check (log out, then nothing).
    await Promise.all([page.waitForEvent('load', { timeout: 150_000 }), page.click('header form button')])
    const again = await page.goto(`${onion.origin}/shares`, { timeout: 150_000 })
    assert.equal(again?.status(), 401)
    // The spent token opens nothing over Tor either.
    assert.equal((await page.goto(onion.url, { timeout: 150_000 }))?.status(), 401)

    const status = (await ohtJson<{ running: boolean, onionOrigin?: string }>(daemon!.dataDir, ['webui', 'status'])).value
    assert.equal(status.onionOrigin, onion.origin)
  })
})
