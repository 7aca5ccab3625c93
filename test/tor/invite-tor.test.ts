// `oht send` / `oht receive` over the private Tor network (src/onion/tor/testnet.ts): the sender's
// daemon opens the code on a fresh onion service of its own, the receiver finds it through the
// onion DHT, runs the PAKE over Tor and fetches the file byte-identical; the code is then used.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { torArgs, torSuite } from '../helpers/tor-network.ts'
import { generateFile, sha256File } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

const suite = torSuite('oht-invite-tor-')

describe('invite codes over Tor onion services', { timeout: 600_000 }, () => {
  it('send → code → receive: byte-identical over onion services only; the code is then used', async () => {
    const boot = await startDaemon(join(suite.dir, 'boot'), torArgs(suite.clients[0]!), 120_000)
    suite.daemons.push(boot)
    const joined = ['--bootstrap', boot.address]
    const [sender, receiver] = await Promise.all([
      startDaemon(join(suite.dir, 'sender'), [...torArgs(suite.clients[0]!), ...joined], 120_000),
      startDaemon(join(suite.dir, 'receiver'), [...torArgs(suite.clients[1]!), ...joined], 120_000)
    ]) as [Daemon, Daemon]
    suite.daemons.push(sender, receiver)
    const input = join(suite.dir, 'letter.bin')
    await generateFile(input, 512 * 1024 + 77)
    const sent = (await ohtJson<{ code: string }>(sender.dataDir, ['send', input], { timeoutMs: 180_000 })).value
    assert.match(sent.code, /^\d+-[a-z]+-[a-z]+$/)
    const got = (await ohtJson<{ path: string }>(receiver.dataDir, ['receive', sent.code, '-o', join(suite.dir, 'out')], { timeoutMs: 240_000 })).value
    assert.equal(await sha256File(got.path), await sha256File(input))
    const again = await oht(receiver.dataDir, ['receive', sent.code, '-o', join(suite.dir, 'out2')], { timeoutMs: 180_000 })
    assert.equal(again.code, 1, again.stderr)
    assert.match(again.stderr, /already used/)
  })
})
