// HTML built as text, safely: every value put into `html`...`` is escaped unless it is already
// Html (another template's output). Pages never write a `style` or `on*` attribute: the CSP
// allows neither.

export class Html {
  readonly text: string
  constructor (text: string) { this.text = text }
  toString (): string { return this.text }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[]

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

function render (v: Value): string {
  if (v == null || v === false) return ''
  if (v instanceof Html) return v.text
  if (Array.isArray(v)) return v.map(render).join('')
  return escapeHtml(String(v))
}

export function html (strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!
  return new Html(out)
}

/** Trusted markup (the QR code's SVG, made here from a link). */
export const raw = (text: string): Html => new Html(text)

export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`
}

export function formatRate (bytesPerSecond: number): string {
  return bytesPerSecond < 1 ? '-' : `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** 45s, 12m05s, 3h20m, 2d4h; '-' when unknown (the dashboard's form). */
export function formatEta (seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${Math.floor(s % 86400 / 3600)}h`
}

export function percent (done: number, total: number): string {
  return total <= 0 ? '-' : `${Math.floor(Math.min(1, done / total) * 100)}%`
}
