// Channels: the channels this daemon holds (create one, join one by its id), and a channel's page:
// its posts in the order every member sees them, forms to post text or a shared link, to invite
// or remove a member, to follow its shares, to leave. Plain forms on the daemon's channel routes
// (routes-channels.ts); the script re-renders the posts when a channel event arrives. Other
// people's words are text in the page (escaped by html``), never markup.
import { formatBytes, html, type Html } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'

interface Summary { id: string, name: string, private: boolean, owner: boolean, role: string | null, members: number, posts: number, left: boolean, follow: { autoFetch: boolean, maxSize: number | null } | null }
interface PostRow { id: string, author: string, at: number, kind: 'post' | 'share', text?: string, link?: string, title?: string, size?: number, editedAt?: number, deleted?: boolean, unreadable?: boolean }
interface Reading { summary: Summary, posts: PostRow[], members: Array<{ account: string, role: string, exp: number }>, refused: Array<{ author?: string, reason: string }>, forks: string[] }

const when = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ')
const field = (form: URLSearchParams, name: string): string => (form.get(name) ?? '').trim()
const channelPath = (id: string): string => `/channels/${encodeURIComponent(id)}`
const back = (path: string, done: string): string => `${path}?done=${done}`

function notice (ctx: PageContext): Html {
  const done = ctx.query.get('done')
  const key = ({ create: 'channels.created', join: 'channels.joined', post: 'channels.posted', invite: 'channels.invited', revoke: 'channels.revoked', leave: 'channels.left', follow: 'channels.followed' } as const)[done ?? '']
  return key != null ? html`<p class="note" role="status">${ctx.t(key)}</p>` : html``
}

const roleOf = (ctx: PageContext, c: Summary): string => c.left ? ctx.t('channels.roleLeft') : c.owner ? 'owner' : c.role ?? ctx.t('channels.roleReader')

export async function channelsPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  let list: Summary[]
  try {
    list = (await ctx.api('GET', '/v0/channels') as { channels: Summary[] }).channels
  } catch (err) {
    return { nav: '/channels', title: t('channels.title'), body: html`<p class="error" role="alert">${(err as Error).message}</p>` }
  }
  const rows = list.map(c => html`<tr data-channel="${c.id}">
<td><a href="${channelPath(c.id)}">${c.name}</a></td><td>${t(c.private ? 'channels.private' : 'channels.public')}</td><td>${roleOf(ctx, c)}</td>
<td class="num">${c.members}</td><td class="num">${c.posts}</td><td><code title="${c.id}">${c.id.slice(0, 16)}…</code></td></tr>`)
  return {
    nav: '/channels',
    title: t('channels.title'),
    body: html`${notice(ctx)}
<div data-live="channels">
${list.length === 0
  ? html`<p>${t('channels.empty')}</p>`
  : html`<table id="channels"><thead><tr><th>${t('channels.colName')}</th><th>${t('channels.colKind')}</th><th>${t('channels.colRole')}</th><th>${t('channels.colMembers')}</th><th>${t('channels.colPosts')}</th><th>${t('channels.colId')}</th></tr></thead><tbody>${rows}</tbody></table>`}
</div>
<form method="post" action="/channels/create" class="card" id="create-form">
<h2>${t('channels.create')}</h2>
<label>${t('channels.name')} <input name="name" required maxlength="64"></label>
<label class="check"><input type="checkbox" name="private" value="1"> ${t('channels.privateHint')}</label>
<button type="submit">${t('channels.createSend')}</button>
</form>
<form method="post" action="/channels/join" class="card" id="join-form">
<h2>${t('channels.join')}</h2>
<label>${t('channels.id')} <input name="id" required autocomplete="off" spellcheck="false"></label>
<label>${t('channels.peer')} <input name="peer" placeholder="onion:…onion:7700"></label>
<button type="submit">${t('channels.joinSend')}</button>
</form>`
  }
}

function postItem (ctx: PageContext, p: PostRow): Html {
  const { t } = ctx
  const head = html`<small>${when(p.at)}</small> <code title="${p.author}">${p.author.slice(0, 12)}</code>`
  if (p.deleted === true) return html`<li class="deleted" data-post="${p.id}">${head} <em>${t('channels.deleted')}</em></li>`
  if (p.unreadable === true) return html`<li class="unreadable" data-post="${p.id}">${head} <em>${t('channels.unreadable')}</em></li>`
  if (p.kind === 'share') {
    return html`<li class="share" data-post="${p.id}">${head} <strong>${p.title !== '' ? p.title : p.link}</strong> (${formatBytes(p.size ?? 0)})
<input class="link" type="text" readonly value="${p.link}"> <form method="post" action="/fetch" class="inline"><input type="hidden" name="link" value="${p.link}"><button type="submit">${t('channels.fetch')}</button></form></li>`
  }
  return html`<li data-post="${p.id}">${head} <span class="text">${p.text}</span>${p.editedAt != null ? html` <em>${t('channels.edited')}</em>` : ''}</li>`
}

export async function channelPage (ctx: PageContext, { ref }: Record<string, string>): Promise<Page> {
  const { t } = ctx
  const r = await ctx.api('GET', `/v0/channels/${encodeURIComponent(ref!)}`) as Reading
  const c = r.summary
  const path = channelPath(c.id)
  const canPost = c.role != null && !c.left
  return {
    nav: '/channels',
    title: c.name,
    body: html`${notice(ctx)}
<p><a href="/channels">${t('channels.title')}</a> · ${t(c.private ? 'channels.private' : 'channels.public')} · ${roleOf(ctx, c)} · <code id="channel-id">${c.id}</code></p>
<div data-live="channels">
${r.posts.length === 0 ? html`<p>${t('channels.noPosts')}</p>` : html`<ol class="messages" id="posts">${r.posts.map(p => postItem(ctx, p))}</ol>`}
${r.refused.length > 0 ? html`<details id="refused"><summary>${t('channels.refused', { n: r.refused.length })}</summary><ul>${r.refused.map(x => html`<li><code>${(x.author ?? '?').slice(0, 12)}</code> ${x.reason}</li>`)}</ul></details>` : ''}
</div>
${canPost ? html`<form method="post" action="${path}/post" class="card" id="post-form">
<label>${t('channels.message')} <input name="text" required maxlength="8192" autocomplete="off"></label>
<button type="submit">${t('channels.postSend')}</button>
</form>
<form method="post" action="${path}/share" class="card" id="share-form">
<h2>${t('channels.share')}</h2>
<label>${t('channels.link')} <input name="link" required placeholder="oht://…"></label>
<label>${t('channels.linkTitle')} <input name="title" maxlength="200"></label>
<label>${t('channels.size')} <input name="size" inputmode="numeric" placeholder="700000000"></label>
<button type="submit">${t('channels.shareSend')}</button>
</form>` : ''}
<h2>${t('channels.members')}</h2>
<table id="members"><tbody>${r.members.map(m => html`<tr data-member="${m.account}"><td><code title="${m.account}">${m.account.slice(0, 16)}…</code></td><td>${m.role}</td><td>${when(m.exp)}</td>
<td><form method="post" action="${path}/revoke" class="inline"><input type="hidden" name="account" value="${m.account}"><button type="submit">${t('channels.remove')}</button></form></td></tr>`)}</tbody></table>
<form method="post" action="${path}/invite" class="card" id="invite-form">
<h2>${t('channels.invite')}</h2>
<label>${t('channels.account')} <input name="account" required autocomplete="off" spellcheck="false"></label>
<label>${t('channels.role')} <input name="role" value="writer"></label>
<button type="submit">${t('channels.inviteSend')}</button>
</form>
<form method="post" action="${path}/follow" class="card" id="follow-form">
<label class="check"><input type="checkbox" name="autoFetch" value="1"${c.follow?.autoFetch === true ? ' checked' : ''}> ${t('channels.autoFetch')}</label>
<button type="submit">${t('channels.followSend')}</button>
</form>
${c.left ? '' : html`<form method="post" action="${path}/leave" class="card" id="leave-form"><button type="submit">${t('channels.leave')}</button></form>`}`
  }
}

export const createChannel: Action = async (ctx, form) => {
  const r = await ctx.api('POST', '/v0/channels', { name: field(form, 'name'), private: form.get('private') === '1' }) as { id: string }
  return back(channelPath(r.id), 'create')
}

export const joinChannel: Action = async (ctx, form) => {
  const peer = field(form, 'peer')
  const r = await ctx.api('POST', '/v0/channels/join', { id: field(form, 'id'), peers: peer !== '' ? [peer] : [] }) as { id: string }
  return back(channelPath(r.id), 'join')
}

export const postToChannel: Action = async (ctx, form, { ref }) => {
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/post`, { text: form.get('text') ?? '' })
  return back(channelPath(ref!), 'post')
}

export const shareToChannel: Action = async (ctx, form, { ref }) => {
  const size = field(form, 'size')
  if (size !== '' && !/^\d{1,15}$/.test(size)) throw new Error(ctx.t('channels.size'))
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/post`, { link: field(form, 'link'), title: field(form, 'title'), ...(size !== '' ? { size: Number(size) } : {}) })
  return back(channelPath(ref!), 'post')
}

export const inviteToChannel: Action = async (ctx, form, { ref }) => {
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/invite`, { account: field(form, 'account'), role: field(form, 'role') || 'writer' })
  return back(channelPath(ref!), 'invite')
}

export const revokeFromChannel: Action = async (ctx, form, { ref }) => {
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/revoke`, { account: field(form, 'account') })
  return back(channelPath(ref!), 'revoke')
}

export const followChannel: Action = async (ctx, form, { ref }) => {
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/follow`, { autoFetch: form.get('autoFetch') === '1' })
  return back(channelPath(ref!), 'follow')
}

export const leaveChannel: Action = async (ctx, _form, { ref }) => {
  await ctx.api('POST', `/v0/channels/${encodeURIComponent(ref!)}/leave`, {})
  return back('/channels', 'leave')
}
