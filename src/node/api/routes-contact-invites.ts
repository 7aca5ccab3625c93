// /v0/people/invite: POST {petname?, expiresMs?} opens a contact invite code (its info, without
// the link); POST /v0/people/invite/accept {code, petname?} uses someone's code: both become
// contacts (src/node/invites/contact-invites.ts). POST /v0/people/send {contact, paths, name?}
// shares files and sends the link to a contact (contact-files.ts). Errors are one line: the
// invite's own (wrong code, used, expired, ...) or the contact's.
import { PeopleError } from '../../people/index.ts'
import { InviteCodeError, InviteError } from '../../people/invite/index.ts'
import type { ContactFiles, ContactInvites } from '../invites/index.ts'
import { HttpError, objectBody, str, strs, type RouteTable } from './http.ts'
import { PEOPLE_PATH } from './routes-people.ts'

export function registerContactInviteRoutes (api: RouteTable, invites: ContactInvites | undefined, files?: ContactFiles): void {
  const guard = async <T>(fn: (i: ContactInvites) => Promise<T>): Promise<T> => {
    if (invites == null) throw new HttpError(409, 'contact invites need an account and the DHT (oht account create, then restart the daemon)')
    return await oneLine(async () => await fn(invites))
  }
  const oneLine = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof InviteError || err instanceof InviteCodeError || err instanceof PeopleError) throw new HttpError(400, err.message)
      throw err
    }
  }
  const optional = (b: Record<string, unknown>, k: string): string | undefined => typeof b[k] === 'string' ? b[k] : undefined
  api.route('POST', `${PEOPLE_PATH}/invite`, async ctx => {
    const b = await objectBody(ctx)
    if (b.expiresMs !== undefined && typeof b.expiresMs !== 'number') throw new HttpError(400, 'expiresMs must be a number of ms')
    const petname = optional(b, 'petname')
    return { body: await guard(async i => await i.open({ ...(petname != null ? { petname } : {}), ...(typeof b.expiresMs === 'number' ? { expiresMs: b.expiresMs } : {}) })) }
  })
  api.route('POST', `${PEOPLE_PATH}/send`, async ctx => {
    if (files == null) throw new HttpError(409, 'this daemon runs for no account: create one (oht account create), then restart the daemon')
    const b = await objectBody(ctx)
    const paths = strs(b, 'paths')
    if (paths.length === 0 || paths.some(p => !p.startsWith('/'))) throw new HttpError(400, 'paths: give at least one absolute path')
    const name = optional(b, 'name')
    return { body: await oneLine(async () => await files.send(str(b, 'contact'), paths, name != null ? { name } : {})) }
  })
  api.route('POST', `${PEOPLE_PATH}/invite/accept`, async ctx => {
    const b = await objectBody(ctx)
    return { body: await guard(async i => await i.accept(str(b, 'code'), optional(b, 'petname'), ctx.signal)) }
  })
}
