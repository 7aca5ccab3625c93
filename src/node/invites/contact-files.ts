// `oht send <path> --to <contact>`: the daemon shares the files (seeding them as any share) and
// sends the link to the contact as a message (src/people: sealed end to end, directly or through
// its DHT mailbox). On the receiving daemon, a file from a contact allowed to (`oht contact
// autofetch <contact> on`) is fetched at once into <data-dir>/received; any other waits for
// `oht receive --from <contact>`.
import { mkdir } from 'node:fs/promises'
import { basename } from 'node:path'
import { parseReadCap } from '../../blocks/index.ts'
import { ContactError, type People, type SendResult } from '../../people/index.ts'
import type { NodeService, ShareOptions } from '../service.ts'
import type { TransferManager } from '../transfers/index.ts'

export class ContactFiles {
  readonly #service: NodeService
  readonly #people: People
  readonly #address: () => string | undefined

  constructor (service: NodeService, people: People, address: () => string | undefined) {
    this.#service = service
    this.#people = people
    this.#address = address
  }

  /** Shares `paths` and sends the link to `contact`: the send's result, with what was sent. */
  async send (contact: string, paths: string[], options: ShareOptions = {}): Promise<SendResult & { name: string, bytes: number }> {
    // An unknown contact, or one that has not accepted yet, fails before anything is shared.
    const c = await this.#people.book.find(contact)
    if (c.state !== 'approved') throw new ContactError('contact.notApproved', `${c.petname} has not accepted the contact request yet`)
    const shared = await this.#service.share(paths, options)
    const address = this.#address()
    const name = options.name ?? basename(paths[0] ?? 'share')
    const r = await this.#people.sendFile(contact, { link: shared.link, name, bytes: shared.bytes, peers: address != null ? [address] : [] })
    return { ...r, name, bytes: shared.bytes }
  }
}

/** Fetches files from contacts allowed to send them without asking, into `output`, as they arrive. */
export function autoFetchFiles (people: People, transfers: TransferManager, output: string, onError: (err: unknown) => void): void {
  people.on('event', e => {
    if (e.type !== 'file-offered' || !e.auto) return
    void (async () => {
      const m = await people.log.get(e.account, e.id)
      if (m?.file == null) return
      await mkdir(output, { recursive: true })
      transfers.add({ cap: parseReadCap(m.file.link), output, peers: m.file.peers, select: [], overwrite: false, merge: false })
      await people.fileFetched(e.account, e.id)
    })().catch(onError)
  })
}
