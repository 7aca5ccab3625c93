// The private Tor network picks its relays' ports free, then tor binds them: another process (a
// second test suite on the same machine) can take one in between. Such a boot is retried with new
// ports; a port that stays taken fails after the last attempt with tor's own reason, and no tor of
// a failed attempt is left running.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { TorTestNetwork, isPortTaken } from '../../src/onion/tor/testnet.ts'
import { testNetworkKindFromEnv } from '../../src/onion/tor/testnet.ts'

const squatters: Server[] = []
const dirs: string[] = []

async function squat (port: number): Promise<void> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  squatters.push(server)
}

/** Processes whose command line names the folder (tor is started with `-f <dataDir>/torrc`). */
function processesUnder (dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
  return out.split('\n').filter(line => line.includes(dir) && !line.includes('ps -eo'))
}

after(async () => {
  await Promise.all(squatters.map(async s => { await new Promise(resolve => s.close(resolve)) }))
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

describe('test network: a relay port taken between pick and bind', () => {
  it('boots on new ports when the first attempt finds one taken', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oht-portrace-'))
    dirs.push(root)
    const picked: number[][] = []
    const network = await TorTestNetwork.start({
      net: testNetworkKindFromEnv(),
      root,
      onPortsPicked: async (ports, attempt) => {
        picked.push([...ports])
        if (attempt === 1) await squat(ports[0]!) // the first authority's ORPort
      }
    })
    try {
      // Usually two attempts; a busy machine can take another picked port by chance (a CI run
      // saw three), which the retry is there for too.
      assert.ok(picked.length >= 2, 'the attempt that found its port taken was retried')
      assert.ok(picked.slice(1).every(ports => !ports.includes(picked[0]![0]!)), 'no retry picked the taken port again')
      const tor = await network.startClient()
      assert.ok(tor.controlPort > 0)
      assert.equal(squatters[0]!.listening, true, 'the other process keeps its port')
    } finally {
      await network.stop()
    }
  })

  it('fails with tor\'s reason after the last attempt, leaving no tor running', async () => {
    const root = await mkdtemp(join(tmpdir(), 'oht-portrace-'))
    dirs.push(root)
    let attempts = 0
    await assert.rejects(TorTestNetwork.start({
      net: testNetworkKindFromEnv(),
      root,
      onPortsPicked: async ports => {
        attempts++
        await squat(ports[0]!)
      }
    }), (err: Error) => {
      assert.ok(isPortTaken(err), `a port error, not: ${err.message.slice(0, 300)}`)
      return true
    })
    assert.equal(attempts, 3)
    assert.deepEqual(processesUnder(root), [], 'no tor of a failed attempt still runs')
  })
})
