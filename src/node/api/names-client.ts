// Names over a running daemon's API (routes-names.ts), for the CLI and the console.
import type { NameRecord, PublishedName } from '../../people/names/index.ts'
import type { ApiCaller } from './protocol.ts'

export class NamesApiClient {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }

  async list (): Promise<PublishedName[]> { return (await this.#api.call('GET', '/names') as { names: PublishedName[] }).names }
  async resolve (ref: string): Promise<NameRecord> { return await this.#api.call('GET', `/names/resolve?ref=${encodeURIComponent(ref)}`) as NameRecord }
  async publish (name: string, target: string): Promise<PublishedName> { return await this.#api.call('POST', '/names/publish', { name, target }) as PublishedName }
  async remove (name: string): Promise<boolean> { return (await this.#api.call('POST', '/names/rm', { name }) as { removed: boolean }).removed }
}
