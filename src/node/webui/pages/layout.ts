// The frame of every page: header with navigation and language switch, then the page. The
// stylesheet and the one script are the daemon's own (/assets/); the script only enhances
// (live transfers, copy buttons): every page works without it.
import { html, raw, type Html } from '../html.ts'
import { LOCALES, type Locale, type Translate } from '../i18n/index.ts'
import type { MessageKey } from '../i18n/index.ts'

const NAV: Array<[string, MessageKey]> = [
  ['/transfers', 'nav.transfers'], ['/shares', 'nav.shares'], ['/fetch', 'nav.fetch'], ['/play', 'nav.play'],
  ['/pins', 'nav.pins'], ['/dht', 'nav.dht'], ['/peers', 'nav.peers'], ['/settings', 'nav.settings'],
  ['/contacts', 'nav.contacts'], ['/names', 'nav.names'], ['/send', 'nav.send'], ['/channels', 'nav.channels']
]

/** Strings the script needs, as a JSON data block (not executed, so the CSP allows it). */
const SCRIPT_MESSAGES: MessageKey[] = ['state.fetching', 'state.paused', 'state.seeding', 'state.complete', 'state.failed', 'state.cancelled', 'shares.copied', 'transfers.pause', 'transfers.resume', 'transfers.noPeers']

export function layout (t: Translate, locale: Locale, here: string, page: { title: string, body: Html, nav: string }, loggedIn = true): Html {
  const messages = Object.fromEntries(SCRIPT_MESSAGES.map(k => [k, t(k)]))
  return html`<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · ${t('app.title')}</title>
<link rel="stylesheet" href="/assets/style.css">
<script type="application/json" id="oht-messages">${raw(JSON.stringify(messages).replace(/</g, '\\u003c'))}</script>
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<header>
<strong class="brand">oht</strong>
${loggedIn
  ? html`<nav>${NAV.map(([href, key]) => html`<a href="${href}"${page.nav === href ? html` aria-current="page"` : ''}>${t(key)}</a>`)}</nav>`
  : ''}
<div class="tools">
<span class="lang" aria-label="${t('nav.language')}">${LOCALES.map(l => l === locale
  ? html`<strong lang="${l}">${l.toUpperCase()}</strong>`
  : html`<a href="/lang/${l}?next=${encodeURIComponent(here)}" lang="${l}" hreflang="${l}" data-lang="${l}">${l.toUpperCase()}</a>`)}</span>
${loggedIn ? html`<form method="post" action="/logout" class="inline"><button type="submit" class="link">${t('nav.logout')}</button></form>` : ''}
</div>
</header>
<main>
<h1>${page.title}</h1>
${page.body}
</main>
</body>
</html>
`
}

/** A safe place to come back to after a form or the language switch: a local path only. */
export function localPath (next: string | null | undefined, fallback = '/'): string {
  if (next == null || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return fallback
  return next
}
