// Where a DhtNode keeps its routing table between runs. src/node stores it in `level`; the
// interface is deliberately tiny (a snapshot in, a snapshot out) so any store fits.
import type { ContactRecord } from './contact.ts'

export interface RoutingTableStore {
  /** The last saved contacts (empty on first run). Invalid entries are ignored by the node. */
  load (): Promise<ContactRecord[]>
  /** Replaces the saved snapshot. */
  save (contacts: ContactRecord[]): Promise<void>
}

/** Keeps the snapshot in memory: for tests, the simulator, and nodes that want no persistence. */
export class MemoryRoutingTableStore implements RoutingTableStore {
  contacts: ContactRecord[] = []
  saves = 0

  async load (): Promise<ContactRecord[]> { return this.contacts.map(c => ({ ...c })) }

  async save (contacts: ContactRecord[]): Promise<void> {
    this.contacts = contacts.map(c => ({ ...c }))
    this.saves++
  }
}
