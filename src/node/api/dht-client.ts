// DhtService over a running daemon's API (routes-dht.ts).
import type { DhtDeleteResult, DhtGetResult, DhtInfo, DhtPutRequest, DhtPutResult, DhtService } from '../network/index.ts'
import type { ApiCaller } from './protocol.ts'

export class ApiDhtService implements DhtService {
  readonly #api: ApiCaller
  constructor (api: ApiCaller) { this.#api = api }
  async info (): Promise<DhtInfo> { return await this.#api.call('GET', '/dht') as DhtInfo }
  async put (request: DhtPutRequest): Promise<DhtPutResult> { return await this.#api.call('POST', '/dht/put', request) as DhtPutResult }
  async get (ref: string): Promise<DhtGetResult> { return await this.#api.call('POST', '/dht/get', { ref }) as DhtGetResult }
  async delete (ref: string): Promise<DhtDeleteResult> { return await this.#api.call('POST', '/dht/delete', { ref }) as DhtDeleteResult }
}
