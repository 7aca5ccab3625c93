// /v0/config: the config file (identity/config.ts). Some keys a running daemon applies at once
// (`apply` says which: rate limits, seed limits); the others on restart (`restartNeeded`).
import { CONFIG_KEYS, type ConfigFile, type ConfigValue } from '../identity/index.ts'
import { API_VERSION } from './protocol.ts'
import type { RouteTable } from './http.ts'

/** Applies a changed key to the running daemon; false when it needs a restart. */
export type ConfigApplier = (key: string, value: ConfigValue | undefined) => boolean

export function registerConfigRoutes (api: RouteTable, config: ConfigFile, apply: ConfigApplier = () => false): void {
  const v = `/${API_VERSION}`
  api.route('GET', `${v}/config`, async () => ({
    body: { path: config.path, values: config.load(), keys: Object.fromEntries(Object.entries(CONFIG_KEYS).map(([k, d]) => [k, { example: d.example, usedBy: d.usedBy }])) }
  }))
  api.route('PUT', `${v}/config/:key`, async ({ params, body }) => {
    const b = await body() as { value?: unknown }
    if (typeof b?.value !== 'string') throw new Error('body must be { "value": "<text>" }')
    const value = config.set(params.key!, b.value)
    const live = apply(params.key!, value)
    return { body: { key: params.key, value, applied: live, restartNeeded: !live } }
  })
  api.route('DELETE', `${v}/config/:key`, async ({ params }) => {
    config.unset(params.key!)
    const live = apply(params.key!, undefined)
    return { body: { key: params.key, applied: live, restartNeeded: !live } }
  })
}
