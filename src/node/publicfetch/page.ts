// The public fetch page itself: static HTML per locale, no inline script or style (the CSP allows
// neither), everything it loads served by this node (web/pf/). It works only with JavaScript: the
// share is checked and decrypted in the browser, never by the node, which never has the key.
import { PUBLIC_MESSAGES, type PublicLocale } from './messages.ts'

const escape = (s: string): string => s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

export function publicPage (locale: PublicLocale): string {
  const m = PUBLIC_MESSAGES[locale]
  const script = Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith('script.')))
  // The language links keep the fragment through the page's script (page.ts); `<` escaped so the
  // data block cannot end its element.
  const other = locale === 'de' ? '<a href="/?lang=en" class="pf-lang" hreflang="en">EN</a> | <strong>DE</strong>' : '<strong>EN</strong> | <a href="/?lang=de" class="pf-lang" hreflang="de">DE</a>'
  return `<!doctype html>
<html lang="${locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escape(m['page.title'])}</title>
<link rel="stylesheet" href="/pf/assets/style.css">
<script type="application/json" id="pf-messages">${JSON.stringify(script).replace(/</g, '\\u003c')}</script>
<script type="module" src="/pf/assets/page.js"></script>
</head>
<body data-state="idle">
<main>
<p class="lang">${other}</p>
<h1>${escape(m['page.heading'])}</h1>
<noscript><p class="error">${escape(m['page.noscript'])}</p></noscript>
<form id="pf-form" autocomplete="off">
<label for="pf-link">${escape(m['page.link'])}</label>
<input id="pf-link" name="link" placeholder="oht://…#…" spellcheck="false" required>
<button type="submit">${escape(m['page.fetch'])}</button>
</form>
<p class="error" id="pf-error" role="alert" hidden></p>
<section id="pf-share" hidden>
<h2 id="pf-name"></h2>
<p id="pf-size"></p>
<progress id="pf-progress" max="1" value="0"></progress>
<p id="pf-status" aria-live="polite"></p>
<ul id="pf-files"></ul>
<video id="pf-player" controls hidden></video>
</section>
<p class="note">${escape(m['page.note'])}</p>
</main>
</body>
</html>
`
}
