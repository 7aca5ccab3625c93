// The node's other pages: pins and leases, the DHT (counters, routing table, look up and store a
// record), peers per swarm, and settings (rate and seeding limits in the config file).
import { formatBytes, html } from '../html.ts'
import type { Action, Page, PageContext } from './context.ts'

interface Pin { id: string, holder: string, state: string, bytes: number, expiresAt: number | null }
interface Grant { account: string, quotaBytes?: number, usedBytes?: number }

const date = (ctx: PageContext, ms: number): string => new Date(ms).toLocaleString(ctx.locale === 'de' ? 'de-DE' : 'en-GB', { timeZone: 'UTC' }) + ' UTC'

export async function pinsPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const { pins } = await ctx.api('GET', '/v0/pins') as { pins: Pin[] }
  const { grants } = await ctx.api('GET', '/v0/pins/grants') as { grants: Grant[] }
  return {
    nav: '/pins',
    title: t('pins.title'),
    body: html`${pins.length === 0
  ? html`<p>${t('pins.empty')}</p>`
  : html`<table id="pins"><thead><tr><th>${t('pins.colId')}</th><th>${t('pins.colHolder')}</th><th>${t('pins.colState')}</th><th>${t('pins.colSize')}</th><th>${t('pins.colExpires')}</th></tr></thead>
<tbody>${pins.map(p => html`<tr><td><code>${p.id.slice(0, 24)}</code></td><td>${p.holder}</td><td>${p.state}</td><td class="num">${formatBytes(p.bytes)}</td><td>${p.expiresAt == null ? t('pins.never') : date(ctx, p.expiresAt)}</td></tr>`)}</tbody></table>`}
<h2>${t('pins.grants')}</h2>
${grants.length === 0 ? html`<p>${t('pins.noGrants')}</p>` : html`<ul>${grants.map(g => html`<li><code>${g.account}</code>${g.quotaBytes != null ? html` · ${formatBytes(g.quotaBytes)}` : ''}</li>`)}</ul>`}`
  }
}

interface DhtInfo { stats: Record<string, number | string> | null, peers: Array<{ nodeId: string, address: string, lastSeen: number }> }

export async function dhtPage (ctx: PageContext): Promise<Page> {
  const { t, query } = ctx
  let info: DhtInfo | undefined
  try { info = await ctx.api('GET', '/v0/dht') as DhtInfo } catch { info = undefined }
  const page = (body: ReturnType<typeof html>): Page => ({ nav: '/dht', title: t('dht.title'), body })
  if (info == null) return page(html`<p>${t('dht.off')}</p>`)
  const ref = (query.get('ref') ?? '').trim()
  let lookup = html``
  if (ref !== '') {
    const r = await ctx.api('POST', '/v0/dht/get', { ref }) as { found: boolean, value: string | null }
    lookup = r.found && r.value != null
      ? html`<p role="status">${t('dht.found', { ref })}</p><pre class="value">${Buffer.from(r.value, 'base64').toString('utf8')}</pre>`
      : html`<p role="status">${t('dht.notFound', { ref })}</p>`
  }
  const stored = query.get('stored')
  return page(html`${stored != null ? html`<p class="note" role="status">${t('dht.stored', { ref: stored, stored: query.get('on') ?? '?' })}</p>` : ''}
<form method="get" action="/dht" class="card"><h2>${t('dht.get')}</h2>
<label>${t('dht.ref')} <input name="ref" value="${ref}" required spellcheck="false"></label><button type="submit">${t('dht.getSubmit')}</button></form>
${lookup}
<form method="post" action="/dht/put" class="card"><h2>${t('dht.put')}</h2>
<label>${t('dht.value')} <input name="value" required></label>
<label>${t('dht.kind')} <select name="kind"><option>immutable</option><option>mutable</option></select></label>
<button type="submit">${t('dht.putSubmit')}</button></form>
<h2>${t('dht.stats')}</h2>
${info.stats != null ? html`<table class="kv">${Object.entries(info.stats).map(([k, v]) => html`<tr><th>${k}</th><td class="num">${String(v)}</td></tr>`)}</table>` : ''}
<h2>${t('dht.routing')} (${info.peers.length})</h2>
<table id="routing"><thead><tr><th>${t('dht.colNode')}</th><th>${t('dht.colAddress')}</th><th>${t('dht.colSeen')}</th></tr></thead>
<tbody>${info.peers.map(p => html`<tr><td><code>${String(p.nodeId).slice(0, 16)}</code></td><td><code>${p.address}</code></td><td>${p.lastSeen > 0 ? date(ctx, p.lastSeen) : '-'}</td></tr>`)}</tbody></table>`)
}

export const dhtPut: Action = async (ctx, form) => {
  const kind = form.get('kind') === 'mutable' ? 'mutable' : 'immutable'
  const r = await ctx.api('POST', '/v0/dht/put', { value: form.get('value') ?? '', kind }) as { ref: string, stored: number }
  return `/dht?stored=${encodeURIComponent(r.ref)}&on=${r.stored}`
}

interface Peers { swarms: Array<{ swarm: string, peers: Array<{ id: string, received: number, served: number, inflight: number, rttMs: number | null }> }> }

export async function peersPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const { swarms } = await ctx.api('GET', '/v0/peers') as Peers
  const withPeers = swarms.filter(s => s.peers.length > 0)
  return {
    nav: '/peers',
    title: t('peers.title'),
    body: withPeers.length === 0
      ? html`<p>${t('peers.empty')}</p>`
      : html`${withPeers.map(s => html`<h2>${t('peers.swarm', { id: s.swarm.slice(0, 24) })}</h2>
<table class="peers"><thead><tr><th>${t('peer.id')}</th><th>${t('peer.received')}</th><th>${t('peer.served')}</th><th>${t('peer.inflight')}</th><th>${t('peer.rtt')}</th></tr></thead>
<tbody>${s.peers.map(p => html`<tr><td><code>${p.id.slice(0, 16)}</code></td><td class="num">${formatBytes(p.received)}</td><td class="num">${formatBytes(p.served)}</td><td class="num">${p.inflight}</td><td class="num">${p.rttMs != null ? `${Math.round(p.rttMs)} ms` : '-'}</td></tr>`)}</tbody></table>`)}`
  }
}

const LIMIT_KEYS = ['maxUpload', 'maxDownload', 'maxUploadPerPeer', 'maxDownloadPerPeer', 'seedRatio', 'seedTime'] as const

export async function settingsPage (ctx: PageContext): Promise<Page> {
  const { t } = ctx
  const config = await ctx.api('GET', '/v0/config') as { path: string, values: Record<string, unknown>, keys: Record<string, unknown> }
  const keys = LIMIT_KEYS.filter(k => k in config.keys)
  return {
    nav: '/settings',
    title: t('settings.title'),
    body: html`${ctx.query.has('saved') ? html`<p class="note" role="status">${t('settings.saved')}</p>` : ''}
<p>${t('settings.text', { path: config.path })}</p>
<form method="post" action="/settings" class="card" id="settings-form">
${keys.map(k => html`<label>${t(`settings.${k}`)} <input name="${k}" value="${typeof config.values[k] === 'string' ? config.values[k] : ''}" placeholder="${String((config.keys[k] as { example?: string } | undefined)?.example ?? '')}"></label>`)}
<button type="submit">${t('settings.save')}</button>
</form>`
  }
}

export const saveSettings: Action = async (ctx, form) => {
  const config = await ctx.api('GET', '/v0/config') as { values: Record<string, unknown>, keys: Record<string, unknown> }
  for (const k of LIMIT_KEYS) {
    if (!(k in config.keys) || !form.has(k)) continue
    const value = (form.get(k) ?? '').trim()
    if (value !== '') await ctx.api('PUT', `/v0/config/${k}`, { value })
    else if (config.values[k] != null) await ctx.api('DELETE', `/v0/config/${k}`)
  }
  return '/settings?saved'
}
