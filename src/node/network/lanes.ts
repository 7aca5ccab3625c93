import type { Duplex } from 'node:stream'
import { initiateOptimistic, type Transport } from '../../onion/index.ts'
import { LaneController, type Swarm } from '../../swarm/index.ts'
import type { NodeKeys } from '../identity/keystore.ts'

/** What opening a lane needs of the node's network. */
export interface LaneDialer {
  readonly transport: Transport
  readonly keys: NodeKeys
  /** The swarm protocol's name in the oht handshake. */
  readonly protocol: string
  /** The stream with the node's download pacing. */
  paced (stream: Duplex): Duplex
}

/**
 * Stripes a fetch from a peer just joined to `swarm` over more lanes (src/swarm/lanes.ts): each
 * lane is another dial of the same address (over Tor: its own circuit), the same oht handshake
 * (the peer must be the same node), and another connection of the node in the swarm.
 */
export function stripe (dialer: LaneDialer, swarm: Swarm, address: string, remoteNodeId: string, signal?: AbortSignal): LaneController {
  const remote = new Uint8Array(Buffer.from(remoteNodeId, 'hex'))
  const dial = async (lane: number): Promise<void> => {
    const raw = await dialer.transport.dial(address, { lane, ...(signal != null ? { signal } : {}) })
    try {
      // Optimistic (optimistic.ts): the lane's swarm handshakes go with the oht handshake.
      const session = await initiateOptimistic(raw, { keys: dialer.keys, protocol: dialer.protocol, expectedNodeId: remoteNodeId, ...(signal != null ? { signal } : {}) })
      if (swarm.addPeer(dialer.paced(session.stream), true, remote) == null) throw new Error('the swarm took no more lanes to this peer')
      await session.accepted
    } catch (err) {
      raw.destroy()
      throw err
    }
  }
  return new LaneController(swarm, remoteNodeId, dial, signal != null ? { signal } : {})
}
