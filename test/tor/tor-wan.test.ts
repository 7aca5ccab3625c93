// The WAN-like private Tor network (src/onion/tor/testnet.ts with net 'wan'): a delay proxy in
// front of every relay's ORPort. It must boot, and its circuit round trip (an echo over an onion
// stream) must land in the real Tor network's range, 300-1,000 ms. Nothing touches the real network.
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { TorTestNetwork } from '../../src/onion/tor/testnet.ts'

let network: TorTestNetwork | undefined

after(async () => { await network?.stop() })

describe('the WAN testbed', { timeout: 300_000 }, () => {
  it('boots, and an onion stream round trip takes 300-1,000 ms (p50)', async () => {
    network = await TorTestNetwork.start({ net: 'wan' })
    assert.equal(network.net, 'wan')
    const rtt = await network.measureCircuitRtt({ samples: 9 })
    console.log(`WAN testbed circuit RTT p50 ${rtt.p50Ms.toFixed(0)} ms; samples ${rtt.samplesMs.map(s => s.toFixed(0)).join(', ')}; ADD_ONION to first echo ${(rtt.firstAnswerMs / 1000).toFixed(1)} s`)
    assert.ok(rtt.p50Ms >= 300 && rtt.p50Ms <= 1_000, `p50 ${rtt.p50Ms.toFixed(0)} ms`)
  })
})
