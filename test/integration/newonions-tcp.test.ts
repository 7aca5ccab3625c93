// `/newonions` refused where it cannot mean anything: a daemon on the TCP transport answers the
// route with tor.notTor and keeps its address; `oht tor newonions` says so in one error line, and
// without a daemon says that one is needed. The Tor side is test/tor/tor-newonions.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { assertCliError, oht, tempDir } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'
import { ApiError, DaemonClient } from '../../src/node/api/client.ts'
import { AdminApiClient } from '../../src/node/api/admin-client.ts'
import { ListenError, TorTransport } from '../../src/onion/index.ts'

test('newonions on the TCP transport: refused with the reason, the address unchanged', async t => {
  const dir = await tempDir(t, 'oht-newonions-')
  const daemon = await startDaemon(join(dir, 'node'))
  t.after(async () => { await daemon.stop() })
  const client = new DaemonClient(join(daemon.dataDir, 'api.sock'))
  await assert.rejects(new AdminApiClient(client).newOnions(), (err: unknown) => {
    assert.ok(err instanceof ApiError)
    assert.equal(err.code, 'tor.notTor')
    assert.equal(err.params?.transport, 'tcp')
    return true
  })
  assert.equal((await client.status()).address, daemon.address, 'the daemon keeps its address')

  const r = await oht(daemon.dataDir, ['tor', 'newonions'])
  assertCliError(r, /does not use Tor \(transport tcp\)/)
})

test('oht tor newonions without a daemon: one error line saying a daemon is needed', async t => {
  const dir = await tempDir(t, 'oht-newonions-')
  const r = await oht(join(dir, 'none'), ['tor', 'newonions'])
  assertCliError(r, /needs a running daemon/)
})

test('TorTransport.newAddress before listen(): refused, tor not even started', async () => {
  // Port 1: nothing listens there; a refusal that tried to reach tor would fail differently.
  const transport = new TorTransport({ tor: { kind: 'attach', port: 1 } })
  await assert.rejects(transport.newAddress(), (err: unknown) => err instanceof ListenError && /not listening/.test(err.message))
  assert.equal(transport.ownsTor, null, 'no tor was started or attached')
  await transport.close()
  await assert.rejects(transport.newAddress(), (err: unknown) => err instanceof ListenError && /closed/.test(err.message))
})
