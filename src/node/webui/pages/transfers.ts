// Transfers: the list (live through the script and the WebSocket; a reload without it), one
// transfer's detail (per-peer table, block map, file selection), and the pause, resume and
// cancel buttons, which are plain forms.
import { formatBytes, formatEta, formatRate, html, percent, type Html } from '../html.ts'
import type { MessageKey, Translate } from '../i18n/index.ts'
import type { Action, Page, PageContext } from './context.ts'

interface Transfer {
  id: string, shareId: string, name: string | null, output: string, state: string, error?: string
  bytesDone: number, bytesTotal: number, downRate: number, upRate: number, etaSeconds: number | null, peerCount: number
  files: Array<{ path: string, bytes: number, priority: string }>
  kind?: 'stream'
}
interface Peer { id: string, received: number, served: number, inflight: number, rttMs: number | null, downRate: number, upRate: number, peerChoking: boolean, banned: boolean }
interface Detail extends Transfer { peerList: Peer[], blockMap: string }

const BLOCK_CELLS = 256

function actions (t: Translate, tr: Transfer, from: 'list' | 'detail'): Html {
  const button = (action: string, label: string): Html => html`<form method="post" action="/transfers/${encodeURIComponent(tr.id)}/${action}" class="inline"><input type="hidden" name="from" value="${from}"><button type="submit" data-action="${action}">${label}</button></form>`
  // A stream (`oht stream` through the daemon) is only cancelled: its player decides what it fetches.
  const stream = tr.kind === 'stream'
  return html`${tr.state === 'fetching' && !stream ? button('pause', t('transfers.pause')) : ''}${(tr.state === 'paused' || tr.state === 'failed') && !stream ? button('resume', t('transfers.resume')) : ''}${button('cancel', t('transfers.cancel'))}`
}

function progressCells (t: Translate, tr: Transfer): Html {
  return html`<td data-f="state" data-state="${tr.state}">${t(`state.${tr.state}` as MessageKey)}${tr.error != null ? html`<br><small class="error">${tr.error}</small>` : ''}</td>
<td><progress data-f="bar" max="${Math.max(1, tr.bytesTotal)}" value="${tr.bytesDone}"></progress> <span data-f="percent">${percent(tr.bytesDone, tr.bytesTotal)}</span>
<small data-f="bytes">${formatBytes(tr.bytesDone)} / ${formatBytes(tr.bytesTotal)}</small></td>
<td class="num" data-f="down">${formatRate(tr.downRate)}</td><td class="num" data-f="up">${formatRate(tr.upRate)}</td>
<td class="num" data-f="eta">${formatEta(tr.etaSeconds)}</td><td class="num" data-f="peers">${tr.peerCount}</td>`
}

export function transferRow (t: Translate, tr: Transfer): Html {
  return html`<tr data-transfer="${tr.id}">
<td><a href="/transfers/${encodeURIComponent(tr.id)}">${tr.name ?? tr.shareId.slice(0, 16)}</a></td>
${progressCells(t, tr)}
<td class="actions" data-f="actions">${actions(t, tr, 'list')}</td></tr>`
}

function head (t: Translate, withName: boolean): Html {
  return html`<thead><tr>${withName ? html`<th>${t('transfers.colName')}</th>` : ''}<th>${t('transfers.colState')}</th><th>${t('transfers.colProgress')}</th><th>${t('transfers.colDown')}</th><th>${t('transfers.colUp')}</th><th>${t('transfers.colEta')}</th><th>${t('transfers.colPeers')}</th><th>${t('transfers.colActions')}</th></tr></thead>`
}

export async function transfersPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const { transfers } = await ctx.api('GET', '/v0/transfers') as { transfers: Transfer[] }
  return {
    nav: '/transfers',
    title: t('transfers.title'),
    body: html`<noscript><p class="note">${t('transfers.noScript')}</p></noscript>
<p id="transfers-empty"${transfers.length > 0 ? html` hidden` : ''}>${t('transfers.empty')}</p>
<table id="transfers" data-live="list"${transfers.length === 0 ? html` hidden` : ''}>${head(t, true)}<tbody>${transfers.map(tr => transferRow(t, tr))}</tbody></table>`
  }
}

export function peerRows (t: Translate, peers: Peer[]): Html {
  if (peers.length === 0) return html`<tr><td colspan="7">${t('transfers.noPeers')}</td></tr>`
  return html`${peers.map(p => html`<tr${p.banned ? html` class="banned"` : ''}><td><code>${p.id.slice(0, 16)}</code></td><td class="num">${formatRate(p.downRate)}</td><td class="num">${formatRate(p.upRate)}</td>
<td class="num">${formatBytes(p.received)}</td><td class="num">${formatBytes(p.served)}</td><td class="num">${p.inflight}</td><td class="num">${p.rttMs != null ? `${Math.round(p.rttMs)} ms` : '-'}</td></tr>`)}`
}

export async function transferPage (ctx: PageContext, params: Record<string, string>): Promise<Page> {
  const { t } = ctx
  const id = params.id!
  const { transfer: tr } = await ctx.api('GET', `/v0/transfers/${encodeURIComponent(id)}?cells=${BLOCK_CELLS}`) as { transfer: Detail }
  return {
    nav: '/transfers',
    title: tr.name ?? tr.shareId,
    body: html`<noscript><p class="note">${t('transfers.noScript')}</p></noscript>
<table id="transfer" data-live="one" data-id="${tr.id}">${head(t, false)}<tbody><tr data-transfer="${tr.id}">${progressCells(t, tr)}<td class="actions" data-f="actions">${actions(t, tr, 'detail')}</td></tr></tbody></table>
<p>${t('transfers.output')}: <code>${tr.output}</code></p>
<h2>${t('transfers.blockMap')}</h2>
<pre class="blockmap" id="blockmap">${tr.blockMap}</pre>
<h2>${t('transfers.peerTable')}</h2>
<table id="peers"><thead><tr><th>${t('peer.id')}</th><th>${t('peer.down')}</th><th>${t('peer.up')}</th><th>${t('peer.received')}</th><th>${t('peer.served')}</th><th>${t('peer.inflight')}</th><th>${t('peer.rtt')}</th></tr></thead>
<tbody>${peerRows(t, tr.peerList)}</tbody></table>
${tr.files.length > 0
  ? html`<h2>${t('transfers.files')}</h2>
<form method="post" action="/transfers/${encodeURIComponent(tr.id)}/files" class="card">
<ul class="files">${tr.files.map(f => html`<li><label><input type="checkbox" name="fetch" value="${f.path}"${f.priority !== 'skip' ? html` checked` : ''}> ${f.path} <small>${formatBytes(f.bytes)}</small></label></li>`)}</ul>
<input type="hidden" name="all" value="${JSON.stringify(tr.files.map(f => f.path))}">
<button type="submit">${t('transfers.saveFiles')}</button></form>`
  : ''}`
  }
}

const back = (id: string, form: URLSearchParams): string => form.get('from') === 'detail' ? `/transfers/${encodeURIComponent(id)}` : '/transfers'

export const pauseTransfer: Action = async (ctx, form, { id }) => { await ctx.api('POST', `/v0/transfers/${encodeURIComponent(id!)}/pause`, {}); return back(id!, form) }
export const resumeTransfer: Action = async (ctx, form, { id }) => { await ctx.api('POST', `/v0/transfers/${encodeURIComponent(id!)}/resume`, {}); return back(id!, form) }
export const cancelTransfer: Action = async (ctx, _form, { id }) => { await ctx.api('DELETE', `/v0/transfers/${encodeURIComponent(id!)}`); return '/transfers' }
export const selectFiles: Action = async (ctx, form, { id }) => {
  const all = JSON.parse(form.get('all') ?? '[]') as unknown
  if (!Array.isArray(all)) throw new Error('bad file list')
  const keep = new Set(form.getAll('fetch'))
  const priorities = Object.fromEntries(all.map(p => [String(p), keep.has(String(p)) ? 'normal' : 'skip']))
  await ctx.api('PUT', `/v0/transfers/${encodeURIComponent(id!)}/files`, { priorities })
  return `/transfers/${encodeURIComponent(id!)}`
}
