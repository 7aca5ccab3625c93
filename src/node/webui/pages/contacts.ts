// Contacts: the account's contacts with presence, the requests waiting (accept under a petname,
// or reject), a request to someone, a contact added by hand, one message to every contact; a
// contact's page holds the conversation and a whisper form. Plain forms on the daemon's people
// routes (routes-people.ts); the script only re-renders the page when a people event arrives.
// Another person's words are text in the page (escaped by html``), never markup.
import { formatBytes, html, type Html } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'
import { lifetimeSelect, openedCode } from './invites.ts'

interface ContactRow { account: string, petname: string, state: 'approved' | 'requested', online: boolean, lastSeen: number | null, viaName?: string | null }
interface RequestRow { account: string, text: string, at: number, viaName?: string | null }
interface IntroductionRow { account: string, viaName: string | null }
interface Overview { account: string, contacts: ContactRow[], requests: RequestRow[], introductions?: IntroductionRow[] }
interface MessageRow { id: string, direction: 'in' | 'out', text: string, at: number, state: 'queued' | 'mailboxed' | 'delivered' | 'received', file?: { bytes: number, fetched?: boolean } }
interface CastResult { contact: string, state: 'delivered' | 'mailboxed' | 'queued' | 'failed', reason?: string }

const when = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ')
const field = (form: URLSearchParams, name: string): string => (form.get(name) ?? '').trim()
const optional = (form: URLSearchParams, name: string): string | undefined => field(form, name) || undefined
const decoded = (s: string): string => { try { return decodeURIComponent(s) } catch { return s } }
const contactPath = (petname: string): string => `/contacts/${encodeURIComponent(petname)}`

/** The page's notice after a form: what it did, from the query the action redirected with. */
function notice (ctx: PageContext): Html {
  const { t, query } = ctx
  const name = query.get('name') ?? ''
  const done = query.get('done')
  if (done == null) return html``
  if (done === 'cast') {
    const results = (query.get('results') ?? '').split(',').filter(r => r !== '').map(r => r.split(':') as [string, string])
    return html`<div class="note" role="status" id="cast-results"><p>${t('contacts.castDone')}</p><ul>${results.map(([state, who]) => html`<li>${t(state === 'delivered' ? 'contacts.castDelivered' : state === 'mailboxed' ? 'contacts.castMailboxed' : state === 'queued' ? 'contacts.castQueued' : 'contacts.castFailed', { name: decoded(who) })}</li>`)}</ul></div>`
  }
  const key = ({ request: 'contacts.requested', accept: 'contacts.accepted', reject: 'contacts.rejected', add: 'contacts.added', rm: 'contacts.removed', delivered: 'contacts.delivered', mailboxed: 'contacts.mailboxed', queued: 'contacts.queued' } as const)[done]
  return key != null ? html`<p class="note" role="status">${t(key, { name })}</p>` : html``
}

export async function contactsPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  let o: Overview
  try {
    o = await ctx.api('GET', '/v0/people') as Overview
  } catch (err) {
    // A daemon that runs for no account: say so, and how to change it.
    return { nav: '/contacts', title: t('contacts.title'), body: html`<p class="error" role="alert">${(err as Error).message}</p>` }
  }
  const via = (name: string | null | undefined): Html | string => name != null ? html` <small class="via">${t('contacts.via', { name })}</small>` : ''
  const state = (c: ContactRow): string => c.state === 'requested' ? t('contacts.asked') : c.online ? t('contacts.online') : t('contacts.offline')
  const rows = o.contacts.map(c => html`<tr data-contact="${c.petname}" class="${c.online ? 'online' : ''}">
<td><a href="${contactPath(c.petname)}">${c.petname}</a>${via(c.viaName)}</td><td data-f="presence">${state(c)}</td><td><code title="${c.account}">${c.account.slice(0, 16)}…</code></td><td>${c.lastSeen != null ? when(c.lastSeen) : '-'}</td></tr>`)
  const requests = o.requests.map(r => html`<tr data-request="${r.account}">
<td><code>${r.account}</code>${via(r.viaName)}${r.text !== '' ? html`<blockquote class="said">${r.text}</blockquote>` : ''}<small>${when(r.at)}</small></td>
<td class="actions"><form method="post" action="/contacts/accept" class="inline"><input type="hidden" name="account" value="${r.account}"><label class="inline">${t('contacts.petname')} <input name="petname" size="12"></label> <button type="submit">${t('contacts.accept')}</button></form>
<form method="post" action="/contacts/reject" class="inline"><input type="hidden" name="account" value="${r.account}"><button type="submit">${t('contacts.reject')}</button></form></td></tr>`)
  const approved = o.contacts.filter(c => c.state === 'approved')
  // Introduced by a contact: one button sends the request (the daemon attaches the signed introduction).
  const introductions = (o.introductions ?? []).map(i => html`<tr data-introduction="${i.account}"><td><code>${i.account}</code>${via(i.viaName)}</td>
<td class="actions"><form method="post" action="/contacts/request" class="inline"><input type="hidden" name="account" value="${i.account}"><label class="inline">${t('contacts.petname')} <input name="petname" size="12"></label> <button type="submit">${t('contacts.requestSend')}</button></form></td></tr>`)
  return {
    nav: '/contacts',
    title: t('contacts.title'),
    body: html`${notice(ctx)}${await openedCode(ctx, 'contact')}
<p>${t('contacts.account')} <code id="account">${o.account}</code></p>
<div data-live="people">
${o.requests.length > 0 ? html`<h2>${t('contacts.requests')}</h2><table id="requests"><tbody>${requests}</tbody></table>` : ''}
${introductions.length > 0 ? html`<h2>${t('contacts.introductions')}</h2><table id="introductions"><tbody>${introductions}</tbody></table>` : ''}
${o.contacts.length === 0
  ? html`<p>${t('contacts.empty')}</p>`
  : html`<table id="contacts"><thead><tr><th>${t('contacts.colName')}</th><th>${t('contacts.colState')}</th><th>${t('contacts.colAccount')}</th><th>${t('contacts.colSeen')}</th></tr></thead><tbody>${rows}</tbody></table>`}
</div>
${approved.length > 0 ? html`<form method="post" action="/contacts/whisper" class="card" id="whisper-form">
<h2>${t('contacts.whisper')}</h2>
<label>${t('contacts.to')} <select name="contact">${approved.map(c => html`<option value="${c.petname}">${c.petname}</option>`)}</select></label>
<label>${t('contacts.message')} <input name="text" required maxlength="8192" autocomplete="off"></label>
<button type="submit">${t('contacts.send')}</button>
</form>
<form method="post" action="/contacts/cast" class="card" id="cast-form">
<h2>${t('contacts.cast')}</h2>
<label>${t('contacts.message')} <input name="text" required maxlength="8192" autocomplete="off"></label>
<button type="submit">${t('contacts.castSend')}</button>
</form>` : ''}
<form method="post" action="/contacts/request" class="card" id="request-form">
<h2>${t('contacts.request')}</h2>
<label>${t('contacts.accountId')} <input name="account" required autocomplete="off" spellcheck="false"></label>
<label>${t('contacts.requestText')} <input name="message" maxlength="500"></label>
<label>${t('contacts.petname')} <input name="petname"></label>
<label>${t('contacts.address')} <input name="address" placeholder="${t('contacts.addressHint')}"></label>
<button type="submit">${t('contacts.requestSend')}</button>
</form>
<form method="post" action="/contacts/invite" class="card" id="invite-form">
<h2>${t('contacts.inviteTitle')}</h2>
<p>${t('contacts.inviteText')}</p>
<label>${t('contacts.petname')} <input name="petname"></label>
${lifetimeSelect(ctx)}
<button type="submit">${t('contacts.inviteSend')}</button>
</form>
<form method="post" action="/contacts/redeem" class="card" id="invite-use-form">
<h2>${t('contacts.inviteUseTitle')}</h2>
<label>${t('invites.code')} <input name="code" required placeholder="7-guitar-nebula" autocomplete="off" spellcheck="false"></label>
<label>${t('contacts.petname')} <input name="petname"></label>
<button type="submit">${t('contacts.inviteUse')}</button>
</form>
<form method="post" action="/contacts/add" class="card" id="add-form">
<h2>${t('contacts.add')}</h2>
<label>${t('contacts.accountId')} <input name="account" required autocomplete="off" spellcheck="false"></label>
<label>${t('contacts.petname')} <input name="petname" required></label>
<label>${t('contacts.address')} <input name="address" placeholder="${t('contacts.addressHint')}"></label>
<button type="submit">${t('contacts.addSend')}</button>
</form>`
  }
}

export async function contactPage (ctx: PageContext, { name }: Record<string, string>): Promise<Page> {
  const { t } = ctx
  const log = await ctx.api('GET', `/v0/people/messages?contact=${encodeURIComponent(name!)}`) as { contact: string, account: string, messages: MessageRow[] }
  const o = await ctx.api('GET', '/v0/people') as Overview
  const c = o.contacts.find(x => x.account === log.account)
  // A file a message offers (oht send --to): its name and size; one it sent us, fetched only when asked.
  const fileItem = (m: MessageRow, f: NonNullable<MessageRow['file']>): Html => html`<span class="text file">${t('contacts.fileMessage', { name: m.text, size: formatBytes(f.bytes) })}</span>${m.direction === 'in'
    ? f.fetched === true
      ? html` <em>(${t('contacts.fileFetched')})</em>`
      : html` <form method="post" action="${contactPath(log.contact)}/take" class="inline"><input type="hidden" name="id" value="${m.id}"><button type="submit">${t('contacts.fileFetch')}</button></form>`
    : ''}`
  const items = log.messages.map(m => html`<li class="${m.direction}" data-message="${m.id}"><small>${when(m.at)}</small> <strong>${m.direction === 'in' ? log.contact : t('contacts.me')}</strong>: ${m.file != null ? fileItem(m, m.file) : html`<span class="text">${m.text}</span>`}${m.direction === 'out' && m.state === 'queued' ? html` <em>(${t('contacts.notDelivered')})</em>` : m.direction === 'out' && m.state === 'mailboxed' ? html` <em>(${t('contacts.inMailbox')})</em>` : ''}</li>`)
  return {
    nav: '/contacts',
    title: log.contact,
    body: html`${notice(ctx)}
<div data-live="people">
<p><a href="/contacts">${t('contacts.title')}</a> · <code title="${log.account}">${log.account.slice(0, 16)}…</code> · <span id="presence">${c == null ? '' : c.state === 'requested' ? t('contacts.asked') : c.online ? t('contacts.online') : t('contacts.offline')}</span></p>
${items.length === 0 ? html`<p>${t('contacts.noMessages')}</p>` : html`<ol class="messages" id="messages">${items}</ol>`}
</div>
${c?.state === 'approved' ? html`<form method="post" action="${contactPath(log.contact)}/whisper" class="card" id="whisper-form">
<label>${t('contacts.message')} <input name="text" required maxlength="8192" autocomplete="off" autofocus></label>
<button type="submit">${t('contacts.send')}</button>
</form>
<form method="post" action="${contactPath(log.contact)}/file" class="card" id="file-form">
<label>${t('contacts.filePath')} <input name="path" required placeholder="/home/me/holiday.jpg"></label>
<button type="submit">${t('contacts.fileSend')}</button>
</form>` : ''}
<form method="post" action="${contactPath(log.contact)}/rm" class="card" id="rm-form">
<label class="check"><input type="checkbox" name="block" value="1"> ${t('contacts.block')}</label>
<button type="submit">${t('contacts.remove')}</button>
</form>`
  }
}

const back = (path: string, done: string, name: string): string => `${path}?done=${done}&name=${encodeURIComponent(name)}`

export const requestContact: Action = async (ctx, form) => {
  const petname = optional(form, 'petname')
  const address = optional(form, 'address')
  const r = await ctx.api('POST', '/v0/people/request', { account: field(form, 'account'), message: field(form, 'message'), ...(petname != null ? { petname } : {}), ...(address != null ? { address } : {}) }) as { contact: { petname: string } }
  return back('/contacts', 'request', r.contact.petname)
}

export const acceptContact: Action = async (ctx, form) => {
  const petname = optional(form, 'petname')
  const r = await ctx.api('POST', '/v0/people/accept', { account: field(form, 'account'), ...(petname != null ? { petname } : {}) }) as { contact: { petname: string } }
  return back('/contacts', 'accept', r.contact.petname)
}

export const rejectContact: Action = async (ctx, form) => {
  const r = await ctx.api('POST', '/v0/people/reject', { account: field(form, 'account') }) as { account: string }
  return back('/contacts', 'reject', `${r.account.slice(0, 16)}…`)
}

export const addContact: Action = async (ctx, form) => {
  const address = optional(form, 'address')
  const r = await ctx.api('POST', '/v0/people/add', { account: field(form, 'account'), petname: field(form, 'petname'), ...(address != null ? { address } : {}) }) as { contact: { petname: string } }
  return back('/contacts', 'add', r.contact.petname)
}

/** From the contacts page (`contact` in the form) or a contact's page (in the path): back to the conversation. */
export const whisperContact: Action = async (ctx, form, params) => {
  const contact = params.name ?? field(form, 'contact')
  const r = await ctx.api('POST', '/v0/people/whisper', { contact, text: form.get('text') ?? '' }) as { state: 'delivered' | 'queued' }
  return back(contactPath(contact), r.state, contact)
}

export const removeContact: Action = async (ctx, form, params) => {
  const r = await ctx.api('POST', '/v0/people/rm', { contact: params.name, block: form.get('block') === '1' }) as { petname: string }
  return back('/contacts', 'rm', r.petname)
}

export const castContacts: Action = async (ctx, form) => {
  const { results } = await ctx.api('POST', '/v0/people/contactcast', { text: form.get('text') ?? '' }) as { results: CastResult[] }
  return `/contacts?done=cast&results=${encodeURIComponent(results.map(r => `${r.state}:${encodeURIComponent(r.contact)}`).join(','))}`
}

/** A file to this contact: shared and seeded here, its link sent in a message (as `oht send --to`). */
export const sendContactFile: Action = async (ctx, form, { name }) => {
  const path = field(form, 'path')
  if (!path.startsWith('/')) throw new Error(ctx.t('contacts.filePath'))
  const r = await ctx.api('POST', '/v0/people/send', { contact: name, paths: [path] }) as { state: 'delivered' | 'mailboxed' | 'queued' }
  return back(contactPath(name!), r.state, name!)
}

/** A file the contact sent: fetched into the downloads folder as a transfer (as `oht receive --from`). */
export const takeContactFile: Action = async (ctx, form, { name }) => {
  const { files } = await ctx.api('GET', `/v0/people/files?contact=${encodeURIComponent(name!)}`) as { files: Array<{ id: string, file: { link: string, peers: string[] } }> }
  const offer = files.find(f => f.id === form.get('id'))
  if (offer == null) throw new Error(ctx.t('contacts.fileGone'))
  const { transfer } = await ctx.api('POST', '/v0/transfers', { link: offer.file.link, output: ctx.downloads, peers: offer.file.peers }) as { transfer: { id: string } }
  await ctx.api('POST', '/v0/people/files/fetched', { contact: name, id: offer.id })
  return `/transfers/${encodeURIComponent(transfer.id)}`
}
