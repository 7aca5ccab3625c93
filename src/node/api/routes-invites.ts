// /v0/invites: POST (share paths and open a code), GET (list), GET /:id[?wait=1] (one; with
// wait, once its code is closed), DELETE /:id (cancel), POST /v0/invites/receive {code}.
import { InviteCodeError, InviteError } from '../../people/invite/index.ts'
import type { InviteService } from '../invites/index.ts'
import { API_VERSION } from './protocol.ts'
import { HttpError, objectBody, str, strs, type RouteTable } from './http.ts'

export const INVITES_PATH = `/${API_VERSION}/invites`

export function registerInviteRoutes (api: RouteTable, invites: InviteService): void {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      // One clear line for the client: the invite's own message (its code is in the text).
      if (err instanceof InviteError || err instanceof InviteCodeError) throw new HttpError(err.code === 'invite.unknown' ? 404 : 400, err.message)
      throw err
    }
  }
  api.route('POST', INVITES_PATH, async ctx => {
    const b = await objectBody(ctx)
    const expiresMs = b.expiresMs
    if (expiresMs !== undefined && typeof expiresMs !== 'number') throw new HttpError(400, 'expiresMs must be a number of ms')
    const paths = strs(b, 'paths')
    if (paths.length === 0) throw new HttpError(400, 'paths: give at least one file or folder')
    return { body: await guard(async () => await invites.send({ paths, ...(expiresMs !== undefined ? { expiresMs } : {}), ...(typeof b.name === 'string' ? { name: b.name } : {}) })) }
  })
  api.route('GET', INVITES_PATH, async () => ({ body: { invites: invites.host.list() } }))
  api.route('GET', `${INVITES_PATH}/:id`, async ({ params, query, signal }) => ({
    body: await guard(async () => query.get('wait') === '1' ? await invites.host.waitClosed(params.id!, signal) : invites.host.get(params.id!))
  }))
  api.route('DELETE', `${INVITES_PATH}/:id`, async ({ params }) => ({ body: await guard(async () => await invites.host.cancel(params.id!)) }))
  api.route('POST', `${INVITES_PATH}/receive`, async ctx => {
    const b = await objectBody(ctx)
    return { body: await guard(async () => await invites.receive(str(b, 'code'), ctx.signal)) }
  })
}
