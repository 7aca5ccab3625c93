// Names: the names this daemon publishes under its account (each removable), a form to publish
// one, and a form to resolve `<petname|account>/<name>` or `oht://name/<account>/<name>`; a
// resolved link can be fetched at once (the fetch page's own form). Plain forms on the daemon's
// names routes (routes-names.ts), as `oht name` and the console's /name.
import { html, type Html } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'

interface NameRow { name: string, target: string, expires: number, stored: number }
interface Resolved { account: string, name: string, target: string, expires: number }

const when = (at: number): string => new Date(at).toISOString().slice(0, 16).replace('T', ' ')

export async function namesPage (ctx: PageContext): Promise<Page> {
  const { t, query } = ctx
  let names: NameRow[]
  try {
    names = (await ctx.api('GET', '/v0/names') as { names: NameRow[] }).names
  } catch (err) {
    return { nav: '/names', title: t('names.title'), body: html`<p class="error" role="alert">${(err as Error).message}</p>` }
  }
  const ref = (query.get('ref') ?? '').trim()
  let resolved: Html = html``
  if (ref !== '') {
    try {
      const r = await ctx.api('GET', `/v0/names/resolve?ref=${encodeURIComponent(ref)}`) as Resolved
      resolved = html`<div class="card" id="resolved"><p>${t('names.resolvedTo', { ref })}</p><input class="link" type="text" readonly value="${r.target}" aria-label="${t('names.target')}">
<p><small>${t('names.byAccount')} <code>${r.account}</code> · ${t('names.expires')} ${when(r.expires)}</small></p>
${r.target.startsWith('oht://') ? html`<form method="post" action="/fetch" class="inline"><input type="hidden" name="link" value="${r.target}"><button type="submit">${t('names.fetch')}</button></form>` : ''}</div>`
    } catch (err) {
      resolved = html`<p class="error" role="alert" id="resolved">${(err as Error).message}</p>`
    }
  }
  const done = query.get('done')
  const note = done === 'publish' || done === 'rm' ? html`<p class="note" role="status">${t(done === 'publish' ? 'names.published' : 'names.removed', { name: query.get('name') ?? '' })}</p>` : ''
  const rows = names.map(n => html`<tr data-name="${n.name}"><td>${n.name}</td><td><code class="target">${n.target}</code></td><td>${when(n.expires)}</td><td class="num">${n.stored}</td>
<td class="actions"><form method="post" action="/names/rm" class="inline"><input type="hidden" name="name" value="${n.name}"><button type="submit">${t('names.remove')}</button></form></td></tr>`)
  return {
    nav: '/names',
    title: t('names.title'),
    body: html`${note}
<form method="get" action="/names" class="card" id="resolve-form">
<h2>${t('names.resolve')}</h2>
<label>${t('names.ref')} <input name="ref" required value="${ref}" placeholder="alice/holiday" autocomplete="off" spellcheck="false"></label>
<button type="submit">${t('names.resolveSend')}</button>
</form>
${resolved}
<h2>${t('names.mine')}</h2>
${names.length === 0
  ? html`<p>${t('names.empty')}</p>`
  : html`<table id="names"><thead><tr><th>${t('names.colName')}</th><th>${t('names.target')}</th><th>${t('names.expires')}</th><th>${t('names.colStored')}</th><th></th></tr></thead><tbody>${rows}</tbody></table>`}
<form method="post" action="/names/publish" class="card" id="publish-form">
<h2>${t('names.publish')}</h2>
<label>${t('names.colName')} <input name="name" required autocomplete="off" spellcheck="false"></label>
<label>${t('names.target')} <input name="target" required placeholder="oht://…" autocomplete="off" spellcheck="false"></label>
<button type="submit">${t('names.publishSend')}</button>
</form>`
  }
}

export const publishName: Action = async (ctx, form) => {
  const r = await ctx.api('POST', '/v0/names/publish', { name: (form.get('name') ?? '').trim(), target: (form.get('target') ?? '').trim() }) as { name: string }
  return `/names?done=publish&name=${encodeURIComponent(r.name)}`
}

export const removeName: Action = async (ctx, form) => {
  const name = (form.get('name') ?? '').trim()
  await ctx.api('POST', '/v0/names/rm', { name })
  return `/names?done=rm&name=${encodeURIComponent(name)}`
}
