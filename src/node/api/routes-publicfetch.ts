// /v0/publicfetch: whether the daemon serves the zero-install fetch page (`--public-fetch`,
// src/node/publicfetch) and at which address, so the UIs can hand out a share's page link.
import { API_VERSION } from './protocol.ts'
import type { RouteTable } from './http.ts'

export interface PublicFetchStatus {
  /** The page's address (`http://<name>.onion:<port>/`), or null when the daemon does not serve it. */
  url: string | null
}

export function registerPublicFetchRoute (api: RouteTable, url: () => string | null): void {
  api.route('GET', `/${API_VERSION}/publicfetch`, async () => ({ body: { url: url() } satisfies PublicFetchStatus }))
}
