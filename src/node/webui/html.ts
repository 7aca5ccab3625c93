// HTML built as text, safely: every value put into `html`...`` is escaped unless it is already
// Html (another template's output). Pages never write a `style` or `on*` attribute: the CSP
// allows neither.
import { formatBytes } from '../units.ts'

export { formatBytes, formatEta } from '../units.ts'

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

export function formatRate (bytesPerSecond: number): string {
  return bytesPerSecond < 1 ? '-' : `${formatBytes(Math.round(bytesPerSecond))}/s`
}

export function percent (done: number, total: number): string {
  return total <= 0 ? '-' : `${Math.floor(Math.min(1, done / total) * 100)}%`
}
