// /v0/config: the config file (identity/config.ts); a running daemon uses new values on restart.
import { CONFIG_KEYS, type ConfigFile } from '../identity/index.ts'
import { API_VERSION } from './protocol.ts'
import type { RouteTable } from './http.ts'

export function registerConfigRoutes (api: RouteTable, config: ConfigFile): void {
  const v = `/${API_VERSION}`
  api.route('GET', `${v}/config`, async () => ({
    body: { path: config.path, values: config.load(), keys: Object.fromEntries(Object.entries(CONFIG_KEYS).map(([k, d]) => [k, { example: d.example, usedBy: d.usedBy }])) }
  }))
  api.route('PUT', `${v}/config/:key`, async ({ params, body }) => {
    const b = await body() as { value?: unknown }
    if (typeof b?.value !== 'string') throw new Error('body must be { "value": "<text>" }')
    return { body: { key: params.key, value: config.set(params.key!, b.value), restartNeeded: true } }
  })
  api.route('DELETE', `${v}/config/:key`, async ({ params }) => { config.unset(params.key!); return { body: { key: params.key, restartNeeded: true } } })
}
