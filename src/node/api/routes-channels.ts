// /v0/channels: the channels of the account the daemon runs for (src/people/channels; README
// "Channels", docs/CHANNELS.md). GET /v0/channels; POST /v0/channels {name, private?, policy?};
// POST /v0/channels/join {id, peers?}; GET /v0/channels/:ref (posts, members, refusals);
// POST /v0/channels/:ref/post|invite|revoke|leave|forget|sync|follow|policy with a JSON object
// body; GET /v0/channels/:ref/policy. `:ref` is a channel id, a prefix of 8+ hex digits, or a
// name held once. Events on the WebSocket: channel-post, channel-member, channel-refused.
import { ChannelError, SCOPES, type Channels, type Content, type Scope } from '../../people/channels/index.ts'
import { PeopleError, type People } from '../../people/index.ts'
import { isAccountId } from '../identity/account-keys.ts'
import { API_VERSION } from './protocol.ts'
import { HttpError, objectBody, str, strs, type RouteTable } from './http.ts'

export const CHANNELS_PATH = `/${API_VERSION}/channels`

const opt = (b: Record<string, unknown>, k: string): string | undefined => {
  const v = b[k]
  if (v == null) return undefined
  if (typeof v !== 'string') throw new HttpError(400, `${k} must be a string`)
  return v
}
const num = (b: Record<string, unknown>, k: string): number | undefined => {
  const v = b[k]
  if (v == null) return undefined
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new HttpError(400, `${k} must be a whole number`)
  return v as number
}

/** A post body: {text} | {link, title?, size?} | {edit: id, text} | {delete: id}. */
export function contentOf (b: Record<string, unknown>): Content {
  if (b.delete != null) return { k: 'delete', target: str(b, 'delete') }
  if (b.edit != null) return { k: 'edit', target: str(b, 'edit'), text: str(b, 'text') }
  if (b.link != null) return { k: 'share', link: str(b, 'link'), title: opt(b, 'title') ?? '', size: num(b, 'size') ?? 0 }
  return { k: 'post', text: str(b, 'text') }
}

/** `people`: an account may also be named by the petname of a contact. */
export function registerChannelRoutes (api: RouteTable, channels: Channels | undefined, people?: People): void {
  const account = async (text: string): Promise<string> =>
    isAccountId(text.trim().toLowerCase()) || people == null ? text : (await people.book.find(text)).account
  const guard = async <T>(fn: (c: Channels) => Promise<T>): Promise<T> => {
    if (channels == null) throw new HttpError(409, 'channels need an account and a network: create an account (oht account create), then restart the daemon')
    try {
      return await fn(channels)
    } catch (err) {
      if (err instanceof ChannelError) {
        const status = err.code === 'channel.unknown' ? 404 : err.code === 'channel.notAllowed' || err.code === 'channel.noKey' ? 403 : err.code === 'channel.unreachable' ? 502 : 400
        throw new HttpError(status, err.message)
      }
      if (err instanceof PeopleError) throw new HttpError(err.code === 'contact.unknown' ? 404 : 400, err.message)
      throw err
    }
  }
  const post = (action: string, fn: (c: Channels, ref: string, b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${CHANNELS_PATH}/:ref/${action}`, async ctx => {
      const b = await objectBody(ctx)
      return { body: await guard(async c => await fn(c, decodeURIComponent(ctx.params.ref!), b)) }
    })
  }
  api.route('GET', CHANNELS_PATH, async () => ({ body: { channels: await guard(async c => await c.list()) } }))
  api.route('POST', CHANNELS_PATH, async ctx => {
    const b = await objectBody(ctx)
    const policy = b.policy
    if (policy != null && typeof policy !== 'object' && typeof policy !== 'string') throw new HttpError(400, 'policy must be a JSON object or its text')
    return { status: 201, body: await guard(async c => await c.create(str(b, 'name'), { private: b.private === true, ...(policy != null ? { policy: policy as string } : {}) })) }
  })
  api.route('POST', `${CHANNELS_PATH}/join`, async ctx => {
    const b = await objectBody(ctx)
    return { body: await guard(async c => await c.join(str(b, 'id'), { peers: strs(b, 'peers'), signal: ctx.signal })) }
  })
  api.route('GET', `${CHANNELS_PATH}/:ref`, async ({ params }) => ({ body: await guard(async c => await c.read(decodeURIComponent(params.ref!))) }))
  api.route('GET', `${CHANNELS_PATH}/:ref/policy`, async ({ params }) => ({ body: await guard(async c => await c.policy(decodeURIComponent(params.ref!))) }))
  post('post', async (c, ref, b) => await c.post(ref, contentOf(b)))
  post('invite', async (c, ref, b) => {
    const scope = b.scope != null ? strs(b, 'scope') : undefined
    if (scope != null && !scope.every(s => (SCOPES as readonly string[]).includes(s))) throw new HttpError(400, `scope lists ${SCOPES.join(', ')}`)
    const days = num(b, 'days')
    return await c.invite(ref, await account(str(b, 'account')), opt(b, 'role') ?? 'writer', { ...(days != null ? { days } : {}), ...(scope != null ? { scope: scope as Scope[] } : {}) })
  })
  post('revoke', async (c, ref, b) => await c.remove(ref, await account(str(b, 'account'))))
  post('revoke-node-key', async (c, ref, b) => await c.revokeNodeKey(ref, b.account != null ? await account(str(b, 'account')) : undefined))
  post('leave', async (c, ref) => await c.leave(ref))
  post('forget', async (c, ref) => await c.forget(ref))
  post('sync', async (c, ref, b) => await c.sync(ref, { peers: strs(b, 'peers') }))
  post('policy', async (c, ref, b) => {
    const p = b.policy
    if (p == null || (typeof p !== 'object' && typeof p !== 'string')) throw new HttpError(400, 'policy must be a JSON object or its text')
    return await c.setPolicy(ref, p as string)
  })
  post('follow', async (c, ref, b) => b.follow === false
    ? await c.follow(ref, null)
    : await c.follow(ref, { autoFetch: b.autoFetch === true, maxSize: num(b, 'maxSize') ?? null, output: opt(b, 'output') ?? null }))
}
