// Fetch (paste a link: a background transfer) and the player (a share streamed while it
// downloads, played by the browser's own <video>/<audio> from /media/, which is the daemon's
// stream server seen through this origin).
import mime from 'mime'
import { html } from '../html.ts'
import type { StreamRegistry } from '../media.ts'
import type { Action, Page, PageContext } from './context.ts'

export async function fetchPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  return {
    nav: '/fetch',
    title: t('fetch.title'),
    body: html`<form method="post" action="/fetch" class="card" id="fetch-form">
<label>${t('fetch.link')} <input name="link" required placeholder="oht://…" autocomplete="off" spellcheck="false"></label>
<label>${t('fetch.output')} <input name="output" required value="${ctx.downloads}"></label>
<label>${t('fetch.peer')} <input name="peer" placeholder="127.0.0.1:7700"></label>
<button type="submit">${t('fetch.submit')}</button>
</form>`
  }
}

const peersOf = (form: URLSearchParams): string[] => (form.get('peer') ?? '').split(/[\s,]+/).filter(p => p !== '')

export const startFetch: Action = async (ctx, form) => {
  const link = (form.get('link') ?? '').trim()
  const output = (form.get('output') ?? '').trim() || ctx.downloads
  const { transfer } = await ctx.api('POST', '/v0/transfers', { link, output, peers: peersOf(form) }) as { transfer: { id: string } }
  return `/transfers/${encodeURIComponent(transfer.id)}`
}

export async function playFormPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  return {
    nav: '/play',
    title: t('play.title'),
    body: html`<p>${t('play.text')}</p>
<form method="post" action="/play" class="card" id="play-form">
<label>${t('play.link')} <input name="link" required placeholder="oht://…" autocomplete="off" spellcheck="false"></label>
<label>${t('play.file')} <input name="file"></label>
<label>${t('fetch.peer')} <input name="peer" placeholder="127.0.0.1:7700"></label>
<button type="submit">${t('play.submit')}</button>
</form>`
  }
}

export function startPlay (streams: StreamRegistry): Action {
  return async (ctx, form) => {
    const link = (form.get('link') ?? '').trim()
    const file = (form.get('file') ?? '').trim()
    const r = await ctx.api('POST', '/v0/stream', { link, peers: peersOf(form), ...(file !== '' ? { file } : {}) }) as { id: string, file: string, urls: Record<string, string> }
    streams.add(r.id, r.urls)
    return `/play/${encodeURIComponent(r.id)}?file=${encodeURIComponent(r.file)}`
  }
}

export function playerPage (streams: StreamRegistry): (ctx: PageContext, params: Record<string, string>) => Promise<Page> {
  return async (ctx, { id }) => {
    const { t } = ctx
    const files = streams.files(id!)
    if (files == null) return { nav: '/play', title: t('play.title'), body: html`<p class="error">${t('play.unknown')}</p><p><a href="/play">${t('play.submit')}</a></p>` }
    const file = ctx.query.get('file') ?? files[0]!
    const src = streams.mediaPath(id!, file)
    const type = mime.getType(file) ?? 'application/octet-stream'
    const player = type.startsWith('audio/')
      ? html`<audio id="player" controls preload="metadata" src="${src}"></audio>`
      : html`<video id="player" controls preload="metadata" src="${src}"></video>`
    return {
      nav: '/play',
      title: file,
      body: html`<div class="player">${player}</div>
<p><a href="${src}">${t('play.download')}</a></p>
${files.length > 1
  ? html`<h2>${t('play.files')}</h2><ul>${files.map(f => html`<li><a href="/play/${encodeURIComponent(id!)}?file=${encodeURIComponent(f)}"${f === file ? html` aria-current="page"` : ''}>${f}</a></li>`)}</ul>`
  : ''}`
    }
  }
}
