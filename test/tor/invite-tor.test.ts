// `oht send` / `oht receive` over the private Tor network (src/onion/tor/testnet.ts): the sender's
// daemon opens the code on a fresh onion service of its own, the receiver finds it through the
// onion DHT, runs the PAKE over Tor and fetches the file byte-identical; the code is then used.
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { TorTestNetwork } from '../../src/onion/tor/testnet.ts'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { startTestNetwork, torArgs } from '../helpers/tor-network.ts'
import { generateFile, sha256File } from '../../cli/demo.ts'
import { startDaemon, type Daemon } from '../helpers/daemon.ts'
import { oht, ohtJson } from '../helpers/cli.ts'

let network: TorTestNetwork
let clients: TorProcess[] = []
let dir = ''
const daemons: Daemon[] = []

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'oht-invite-tor-'))
  network = await startTestNetwork()
  clients = await Promise.all([network.startClient(), network.startClient()])
})

after(async () => {
  await Promise.all(daemons.map(async d => { await d.stop() }))
  await network?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('invite codes over Tor onion services', { timeout: 600_000 }, () => {
  it('send → code → receive: byte-identical over onion services only; the code is then used', async () => {
    const boot = await startDaemon(join(dir, 'boot'), torArgs(clients[0]!), 120_000)
    daemons.push(boot)
    const joined = ['--bootstrap', boot.address]
    const [sender, receiver] = await Promise.all([
      startDaemon(join(dir, 'sender'), [...torArgs(clients[0]!), ...joined], 120_000),
      startDaemon(join(dir, 'receiver'), [...torArgs(clients[1]!), ...joined], 120_000)
    ]) as [Daemon, Daemon]
    daemons.push(sender, receiver)
    const input = join(dir, 'letter.bin')
    await generateFile(input, 512 * 1024 + 77)
    const sent = (await ohtJson<{ code: string }>(sender.dataDir, ['send', input], { timeoutMs: 180_000 })).value
    assert.match(sent.code, /^\d+-[a-z]+-[a-z]+$/)
    const got = (await ohtJson<{ path: string }>(receiver.dataDir, ['receive', sent.code, '-o', join(dir, 'out')], { timeoutMs: 240_000 })).value
    assert.equal(await sha256File(got.path), await sha256File(input))
    const again = await oht(receiver.dataDir, ['receive', sent.code, '-o', join(dir, 'out2')], { timeoutMs: 180_000 })
    assert.equal(again.code, 1, again.stderr)
    assert.match(again.stderr, /already used/)
  })
})
