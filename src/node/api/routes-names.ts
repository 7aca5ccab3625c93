// /v0/names: names published under the daemon's account (src/people/names; README "Names").
// GET /v0/names (the published ones), GET /v0/names/resolve?ref=<account|petname>/<name> or
// oht://name/<account>/<name>, POST /v0/names/publish {name, target}, POST /v0/names/rm {name}.
import { resolveNameRef, type NameRegistry } from '../../people/names/index.ts'
import { PeopleError, type People } from '../../people/index.ts'
import { API_VERSION } from './protocol.ts'
import { HttpError, objectBody, str, type RouteTable } from './http.ts'

export const NAMES_PATH = `/${API_VERSION}/names`

export function registerNameRoutes (api: RouteTable, names: NameRegistry | undefined, people: People | undefined): void {
  const guard = async <T>(fn: (n: NameRegistry) => Promise<T>): Promise<T> => {
    if (names == null) throw new HttpError(409, 'names need the DHT, and this daemon does not use it')
    try {
      return await fn(names)
    } catch (err) {
      if (err instanceof PeopleError) {
        const status = err.code === 'name.notFound' || err.code === 'contact.unknown' ? 404 : err.code === 'name.noAccount' || err.code === 'name.noDht' ? 409 : 400
        throw new HttpError(status, err.message)
      }
      throw err
    }
  }
  api.route('GET', NAMES_PATH, async () => ({ body: { names: await guard(async n => await n.list()) } }))
  api.route('GET', `${NAMES_PATH}/resolve`, async ({ query, signal }) => ({ body: await guard(async n => await resolveNameRef(n, people?.book, query.get('ref') ?? '', signal)) }))
  api.route('POST', `${NAMES_PATH}/publish`, async ctx => {
    const b = await objectBody(ctx)
    return { body: await guard(async n => await n.publish(str(b, 'name'), str(b, 'target'))) }
  })
  api.route('POST', `${NAMES_PATH}/rm`, async ctx => {
    const b = await objectBody(ctx)
    return { body: { removed: await guard(async n => await n.remove(str(b, 'name'))) } }
  })
}
