// Invite codes in the web UI: send a path by a short code and see the codes open; receive a code
// (its share becomes a transfer); on the contacts page, make a contact invite code or use one.
// Plain forms on the daemon's invite routes (routes-invites.ts, routes-contact-invites.ts). A
// code never goes into a URL (it would stay in the browser's history): the page after a form
// names the invite by its id and shows the code from the daemon's list.
import { formatBytes, html, type Html } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'

interface InviteRow { id: string, code: string, state: string, name: string, bytes: number, expiresAt: number, failures: number }
interface Offer { link: string, name: string, bytes: number, peers: string[] }

/** The lifetimes offered (the daemon takes 1 s to 24 h). */
const LIFETIMES: ReadonlyArray<[ms: number, label: string]> = [[600_000, '10 min'], [3_600_000, '1 h'], [86_400_000, '24 h']]
const when = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ')

/** The lifetime choice of a code form (the default is an hour). */
export function lifetimeSelect (ctx: PageContext): Html {
  return html`<label>${ctx.t('invites.expires')} <select name="expires">${LIFETIMES.map(([ms, label]) => html`<option value="${ms}"${ms === 3_600_000 ? html` selected` : ''}>${label}</option>`)}</select></label>`
}

/** The lifetime a form chose: one of the offered ones, else an hour. */
export function lifetimeOf (form: URLSearchParams): number {
  const ms = Number(form.get('expires'))
  return LIFETIMES.some(([x]) => x === ms) ? ms : 3_600_000
}

/** An open code, by the invite id a form redirected with. */
export async function openedCode (ctx: PageContext, kind: 'file' | 'contact'): Promise<Html> {
  const id = ctx.query.get('opened')
  if (id == null) return html``
  const info = await ctx.api('GET', `/v0/invites/${encodeURIComponent(id)}`).catch(() => undefined) as InviteRow | undefined
  if (info == null) return html``
  return html`<div class="note" role="status" id="opened"><p>${ctx.t(kind === 'file' ? 'invites.opened' : 'invites.contactOpened', { name: info.name })}</p><p class="code"><code>${info.code}</code></p><p><small>${ctx.t('invites.until', { at: when(info.expiresAt) })}</small></p></div>`
}

export async function sendPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const { invites } = await ctx.api('GET', '/v0/invites') as { invites: InviteRow[] }
  const rows = invites.map(i => html`<tr data-invite="${i.id}"><td><code>${i.code}</code></td><td>${i.name}</td><td class="num">${formatBytes(i.bytes)}</td><td>${t(`invites.state.${i.state}` as 'invites.state.open')}</td><td>${when(i.expiresAt)}</td>
<td class="actions">${i.state === 'open' ? html`<form method="post" action="/send/cancel" class="inline"><input type="hidden" name="id" value="${i.id}"><button type="submit">${t('invites.cancel')}</button></form>` : ''}</td></tr>`)
  return {
    nav: '/send',
    title: t('invites.sendTitle'),
    body: html`${await openedCode(ctx, 'file')}
<p>${t('invites.sendText')}</p>
<form method="post" action="/send" class="card" id="send-form">
<label>${t('shares.path')} <input name="path" required placeholder="/home/me/holiday.jpg"></label>
<label>${t('shares.name')} <input name="name"></label>
${lifetimeSelect(ctx)}
<button type="submit">${t('invites.sendSubmit')}</button>
</form>
<form method="post" action="/send/receive" class="card" id="receive-form">
<h2>${t('invites.receiveTitle')}</h2>
<label>${t('invites.code')} <input name="code" required placeholder="7-guitar-nebula" autocomplete="off" spellcheck="false"></label>
<label>${t('fetch.output')} <input name="output" required value="${ctx.downloads}"></label>
<button type="submit">${t('invites.receiveSubmit')}</button>
</form>
${invites.length > 0 ? html`<h2>${t('invites.open')}</h2><table id="invites"><tbody>${rows}</tbody></table>` : ''}`
  }
}

export const sendByCode: Action = async (ctx, form) => {
  const path = (form.get('path') ?? '').trim()
  const name = (form.get('name') ?? '').trim()
  if (!path.startsWith('/')) throw new Error(ctx.t('shares.path'))
  const info = await ctx.api('POST', '/v0/invites', { paths: [path], expiresMs: lifetimeOf(form), ...(name !== '' ? { name } : {}) }) as InviteRow
  return `/send?opened=${encodeURIComponent(info.id)}`
}

export const cancelCode: Action = async (ctx, form) => {
  await ctx.api('DELETE', `/v0/invites/${encodeURIComponent(form.get('id') ?? '')}`)
  return '/send'
}

/** Someone's code: the PAKE exchange, then its share fetched like any link (a transfer). */
export const receiveByCode: Action = async (ctx, form) => {
  const offer = await ctx.api('POST', '/v0/invites/receive', { code: (form.get('code') ?? '').trim() }) as Offer
  const output = (form.get('output') ?? '').trim() || ctx.downloads
  const { transfer } = await ctx.api('POST', '/v0/transfers', { link: offer.link, output, peers: offer.peers }) as { transfer: { id: string } }
  return `/transfers/${encodeURIComponent(transfer.id)}`
}

export const openContactCode: Action = async (ctx, form) => {
  const petname = (form.get('petname') ?? '').trim()
  const info = await ctx.api('POST', '/v0/people/invite', { expiresMs: lifetimeOf(form), ...(petname !== '' ? { petname } : {}) }) as { id: string }
  return `/contacts?opened=${encodeURIComponent(info.id)}`
}

export const useContactCode: Action = async (ctx, form) => {
  const petname = (form.get('petname') ?? '').trim()
  const r = await ctx.api('POST', '/v0/people/invite/accept', { code: (form.get('code') ?? '').trim(), ...(petname !== '' ? { petname } : {}) }) as { contact: { petname: string } }
  return `/contacts?done=accept&name=${encodeURIComponent(r.contact.petname)}`
}
