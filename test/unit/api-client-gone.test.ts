// A daemon that dies in the middle of an answer (kill -9, a crash): the client's call fails with
// one clear error instead of waiting for ever. Found by the crash-consistency loop: a share
// whose daemon was killed while it streamed progress never settled.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DaemonClient } from '../../src/node/api/client.ts'

async function dyingDaemon (t: { after: (fn: () => Promise<void>) => void }, answer: (res: import('node:http').ServerResponse) => void): Promise<DaemonClient> {
  const dir = await mkdtemp(join(tmpdir(), 'oht-api-gone-'))
  const socket = join(dir, 'api.sock')
  const server: Server = createServer((_req, res) => { answer(res) })
  await new Promise<void>(resolve => server.listen(socket, resolve))
  t.after(async () => { server.close(); await rm(dir, { recursive: true, force: true }) })
  return new DaemonClient(socket)
}

test('a streamed call (share) whose daemon dies after a progress line rejects', { timeout: 20_000 }, async t => {
  const client = await dyingDaemon(t, res => {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' })
    res.write(JSON.stringify({ type: 'progress', bytesDone: 1, bytesTotal: 10 }) + '\n', () => { res.socket?.destroy() })
  })
  const progress: number[] = []
  await assert.rejects(client.share(['/nowhere'], {}, done => { progress.push(done) }), /the daemon closed the connection without a result/)
  assert.deepEqual(progress, [1])
})

test('a JSON call whose daemon dies in the middle of the body rejects', { timeout: 20_000 }, async t => {
  const client = await dyingDaemon(t, res => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"shares": [', () => { res.socket?.destroy() })
  })
  await assert.rejects(client.list(), /the daemon closed the connection before its answer ended/)
})
