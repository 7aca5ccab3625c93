// The public fetch page's words, English and German. `page.*` are written into the HTML by the
// node; `script.*` go to the page's script as a JSON data block (no inline script: the CSP allows
// none). The checks' own error messages (web/pf/core.ts) stay English.
export const PUBLIC_MESSAGES = {
  en: {
    'page.title': 'oht: fetch a share',
    'page.heading': 'Fetch an oht share',
    'page.noscript': 'This page checks and decrypts the share in your browser, so it needs JavaScript for this address (in Tor Browser: the Standard security level, or allow scripts for this site).',
    'page.link': 'oht link',
    'page.fetch': 'Fetch',
    'page.note': 'The key is the part of the link after the second #: it stays in this page (the address\'s fragment is never sent). This node sends encrypted blocks with their Merkle proofs; your browser checks each against the share\'s id and decrypts it. Files are saved from your browser\'s memory.',
    'script.manifest': 'fetching the manifest…',
    'script.size': '{size} in {files} file(s), {blocks} blocks',
    'script.progress': '{done} / {count} blocks checked and decrypted',
    'script.done': 'done: {size} checked against the share\'s Merkle root and decrypted in this browser',
    'script.failed': 'failed',
    'script.save': 'save'
  },
  de: {
    'page.title': 'oht: eine Freigabe holen',
    'page.heading': 'Eine oht-Freigabe holen',
    'page.noscript': 'Diese Seite prüft und entschlüsselt die Freigabe in Ihrem Browser und braucht dafür JavaScript für diese Adresse (im Tor Browser: die Sicherheitsstufe „Standard“, oder Skripte für diese Seite erlauben).',
    'page.link': 'oht-Link',
    'page.fetch': 'Holen',
    'page.note': 'Der Schlüssel ist der Teil des Links nach dem zweiten #: Er bleibt in dieser Seite (der Fragment-Teil einer Adresse wird nie gesendet). Dieser Knoten sendet verschlüsselte Blöcke mit ihren Merkle-Beweisen; Ihr Browser prüft jeden gegen die ID der Freigabe und entschlüsselt ihn. Dateien werden aus dem Speicher Ihres Browsers gespeichert.',
    'script.manifest': 'hole das Manifest…',
    'script.size': '{size} in {files} Datei(en), {blocks} Blöcke',
    'script.progress': '{done} / {count} Blöcke geprüft und entschlüsselt',
    'script.done': 'fertig: {size} gegen die Merkle-Wurzel der Freigabe geprüft und in diesem Browser entschlüsselt',
    'script.failed': 'fehlgeschlagen',
    'script.save': 'speichern'
  }
} as const

export type PublicLocale = keyof typeof PUBLIC_MESSAGES
export type PublicMessageKey = keyof typeof PUBLIC_MESSAGES.en

/** `?lang=de|en` (the page's switch), else the browser's Accept-Language (Tor Browser says en-US to everyone), else English. */
export function publicLocale (lang: string | null, acceptLanguage: string | undefined): PublicLocale {
  if (lang === 'de' || lang === 'en') return lang
  return /^\s*de\b/i.test(acceptLanguage ?? '') ? 'de' : 'en'
}
