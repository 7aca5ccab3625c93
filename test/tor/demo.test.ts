// The README's quick start: `oht demo` must pass on a fresh machine, over a private Tor network
// (tor is installed by .ci/run) and over TCP.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ohtJson } from '../helpers/cli.ts'

interface DemoResult { ok: boolean, nodes: number, peers: number, sha256: string }

test('oht demo over TCP: 4 nodes, the last finds its peers in the DHT and fetches from all', async () => {
  const r = await ohtJson<DemoResult>(undefined, ['--transport', 'tcp', 'demo', '--size', '8MiB'], { timeoutMs: 120_000 })
  assert.equal(r.value.ok, true)
  assert.equal(r.value.nodes, 4)
  assert.ok(r.value.peers >= 2, `fetched from ${r.value.peers} peers`)
})

test('oht demo over onion services of a private Tor network (the default when tor is installed)', async () => {
  const r = await ohtJson<DemoResult>(undefined, ['demo', '--size', '4MiB', '--seeders', '2'], { timeoutMs: 240_000 })
  assert.equal(r.value.ok, true)
  assert.equal(r.value.nodes, 3)
  assert.ok(r.value.peers >= 1)
})
