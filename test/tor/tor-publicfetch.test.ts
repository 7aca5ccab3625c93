// The zero-install fetch page over Tor (private Tor network, nothing touches the real one): a
// daemon started with --public-fetch answers HTTP on its own onion address; chromium, through a
// client tor's SOCKS port as Tor Browser would, downloads a multi-block share from it, checked and
// decrypted in the browser: byte-identical. The node's onion service still speaks oht to peers:
// `oht fetch` from it works beside the page. (A node holding only ciphertext, and the key kept
// out of its memory, are test/integration/publicfetch.test.ts's.)
// Chromium, unlike Tor Browser, does not count http://*.onion as a secure context (WebCrypto needs
// one), so the test tells it to, with the switch Chromium has for that.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'
import { publicFetchUrl } from '../../src/node/publicfetch/index.ts'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`
const suite = torSuite('oht-tor-publicfetch-')

describe('the public fetch page on a node\'s onion address', { timeout: 500_000, skip }, () => {
  it('chromium through tor downloads a multi-block share, checked and decrypted in the browser: byte-identical', async () => {
    const { dir, clients } = suite
    const file = randomBytes(4 * 256 * 1024 + 1000)
    await writeFile(join(dir, 'clip.bin'), file)
    const { link } = (await ohtJson<{ link: string }>(join(dir, 'bob'), ['share', join(dir, 'clip.bin')])).value
    const bob = await startDaemon(join(dir, 'bob'), torArgs(clients[0]!), 150_000, ['--public-fetch'])
    suite.daemons.push(bob)
    const url = publicFetchUrl(bob.address)
    assert.match(url, /^http:\/\/[a-z2-7]{56}\.onion:\d+\/$/)
    const origin = url.slice(0, -1)

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      proxy: { server: `socks5://127.0.0.1:${clients[1]!.socks!.port}` },
      args: [`--unsafely-treat-insecure-origin-as-secure=${origin}`]
    })
    try {
      const page = await (await browser.newContext({ acceptDownloads: true })).newPage()
      const requests: string[] = []
      page.on('request', r => { requests.push(r.url()) })
      const downloading = page.waitForEvent('download', { timeout: 300_000 })
      const answer = await page.goto(`${url}#${link}`, { timeout: 150_000 })
      assert.equal(answer?.status(), 200)
      const download = await downloading
      assert.equal(download.suggestedFilename(), 'clip.bin')
      assert.ok((await readFile((await download.path())!)).equals(file), 'the saved file is the shared file')
      const key = link.split('#')[1]!
      for (const r of requests) {
        assert.ok(r.startsWith(url), `request to another origin: ${r}`)
        assert.ok(!r.includes(key), `a request carries the key: ${r}`)
      }
    } finally {
      await browser.close()
    }
    // The same onion address still speaks oht: a peer fetches the share from bob over the swarm.
    const fetched = await oht(join(dir, 'carol'), [...torArgs(clients[1]!), 'fetch', link, '--peer', bob.address, '-o', join(dir, 'out')], { timeoutMs: 300_000 })
    assert.equal(fetched.code, 0, fetched.stderr)
    assert.ok((await readFile(join(dir, 'out', 'clip.bin'))).equals(file))
  })
})
