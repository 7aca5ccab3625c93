// The node's invite codes (`oht send` / `oht receive`): shares the files, opens a code for the
// link (src/people/invite) on the node's DHT and transport, and on the other side turns a code
// back into the link and the sender's address, which the caller then fetches as any link.
// Invites live in memory only: a daemon that stops closes its codes (their records expire).
import { basename } from 'node:path'
import {
  dhtBoard, InviteHost, parseCode, receiveInvite, transportRendezvous, type InviteBoard, type InviteInfo, type Offer, type Rendezvous
} from '../../people/invite/index.ts'
import type { Discovery, NodeNetwork } from '../network/index.ts'
import type { NodeService, ShareOptions } from '../service.ts'

export interface SendRequest extends ShareOptions {
  paths: string[]
  /** Lifetime of the code in ms (default 1 hour). */
  expiresMs?: number
}

export class InviteService {
  readonly #service: NodeService
  readonly #network: NodeNetwork
  readonly board: InviteBoard
  readonly rendezvous: Rendezvous
  #host: InviteHost | undefined

  constructor (service: NodeService, network: NodeNetwork, discovery: Discovery) {
    this.#service = service
    this.#network = network
    this.board = dhtBoard(async () => {
      await discovery.start()
      const dht = discovery.dht
      if (dht == null) throw new Error('the DHT is not running')
      return dht
    })
    this.rendezvous = transportRendezvous(network.transport, () => network.address)
  }

  /** Sender side (a daemon): made on first use. */
  get host (): InviteHost {
    this.#host ??= new InviteHost({ board: this.board, rendezvous: this.rendezvous })
    return this.#host
  }

  /** Shares `paths` (seeded and announced by the daemon) and opens a code for the link. */
  async send (request: SendRequest): Promise<InviteInfo> {
    if (this.#network.address == null) throw new Error('sending with a code needs a running daemon (oht daemon)')
    const { paths, expiresMs, ...options } = request
    const shared = await this.#service.share(paths, options)
    const offer: Offer = { link: shared.link, name: options.name ?? basename(paths[0] ?? 'share'), bytes: shared.bytes, peers: [this.#network.address] }
    return await this.host.open(offer, expiresMs)
  }

  /** Receiver side: the link and where to fetch it, for a code typed by a person. */
  async receive (codeText: string, signal?: AbortSignal): Promise<Offer> {
    return await receiveInvite(parseCode(codeText), { board: this.board, rendezvous: this.rendezvous, ...(signal != null ? { signal } : {}) })
  }

  async close (): Promise<void> {
    await this.#host?.stop()
  }
}
