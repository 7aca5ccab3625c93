// Shares: what this node shares and holds, each link with a copy button and its QR code (drawn
// here as SVG, so it shows without JavaScript); a form to share a path.
import { renderSVG } from 'uqr'
import { formatBytes, html, raw } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'

interface ShareRow { id: string, name: string, kind: string, bytes: number, blocks: number, role: string, link?: string, broken?: string }

export async function sharesPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const { shares } = await ctx.api('GET', '/v0/shares') as { shares: ShareRow[] }
  // With --public-fetch, each link also as the node's zero-install page (docs/WEBUI.md "Public fetch").
  const { url: publicPage } = await ctx.api('GET', '/v0/publicfetch') as { url: string | null }
  const added = ctx.query.get('added')
  const rows = shares.map(s => html`<tr data-share="${s.id}"${s.id === added ? html` class="added"` : ''}>
<td>${s.name}</td><td class="num">${formatBytes(s.bytes)}</td><td>${t(s.role === 'owner' ? 'shares.owner' : 'shares.holder')}${s.broken != null ? html` <strong class="error" title="${s.broken}">${t('shares.broken')}</strong>` : ''}</td>
<td>${s.link != null
  ? html`<input class="link" type="text" readonly value="${s.link}" aria-label="${t('shares.colLink')}">
<button type="button" class="copy" data-copy="${s.link}" hidden>${t('shares.copy')}</button>
<details class="qr"><summary>${t('shares.qr')}</summary>${raw(renderSVG(s.link, { border: 2 }))}</details>
${publicPage != null ? html`<label class="public">${t('shares.publicPage')} <input class="link" type="text" readonly value="${publicPage}#${s.link}"></label>` : ''}
<form method="post" action="/play" class="inline"><input type="hidden" name="link" value="${s.link}"><button type="submit">${t('shares.play')}</button></form>`
  : html`<code>${s.id}</code>`}</td></tr>`)
  const addedName = added != null ? shares.find(s => s.id === added)?.name : undefined
  return {
    nav: '/shares',
    title: t('shares.title'),
    body: html`${addedName != null ? html`<p class="note" role="status">${t('shares.added', { name: addedName })}</p>` : ''}
<form method="post" action="/shares" class="card" id="share-form">
<h2>${t('shares.add')}</h2>
<label>${t('shares.path')} <input name="path" required placeholder="/home/me/film.mkv"></label>
<label>${t('shares.name')} <input name="name"></label>
<button type="submit">${t('shares.submit')}</button>
</form>
${shares.length === 0
  ? html`<p>${t('shares.empty')}</p>`
  : html`<table id="shares"><thead><tr><th>${t('shares.colName')}</th><th>${t('shares.colSize')}</th><th>${t('shares.colRole')}</th><th>${t('shares.colLink')}</th></tr></thead><tbody>${rows}</tbody></table>`}`
  }
}

export const addShare: Action = async (ctx, form) => {
  const path = (form.get('path') ?? '').trim()
  const name = (form.get('name') ?? '').trim()
  if (!path.startsWith('/')) throw new Error(ctx.t('shares.path'))
  const r = await ctx.api('POST', '/v0/share', { paths: [path], options: name !== '' ? { name } : {} }) as { id: string }
  return `/shares?added=${encodeURIComponent(r.id)}`
}
