// The public fetch page itself: static HTML, no inline script or style (the CSP allows neither),
// everything it loads served by this node (web/pf/). It works only with JavaScript: the share is
// checked and decrypted in the browser, never by the node, which never has the key.
export const PUBLIC_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>oht: fetch a share</title>
<link rel="stylesheet" href="/pf/assets/style.css">
<script type="module" src="/pf/assets/page.js"></script>
</head>
<body data-state="idle">
<main>
<h1>Fetch an oht share</h1>
<noscript><p class="error">This page checks and decrypts the share in your browser, so it needs JavaScript for this address (in Tor Browser: the Standard security level, or allow scripts for this site).</p></noscript>
<form id="pf-form" autocomplete="off">
<label for="pf-link">oht link</label>
<input id="pf-link" name="link" placeholder="oht://…#…" spellcheck="false" required>
<button type="submit">Fetch</button>
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
<p class="note">The key is the part of the link after the second <code>#</code>: it stays in this page (the address's fragment is never sent). This node sends encrypted blocks with their Merkle proofs; your browser checks each against the share's id and decrypts it. Files are saved from your browser's memory.</p>
</main>
</body>
</html>
`
