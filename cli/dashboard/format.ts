// Small, pure text helpers for the dashboard: fixed-width cells that never wrap.
import stringWidth from 'string-width'
import { formatBytes } from '../units.ts'

/**
 * `text` cut to `width` terminal columns (with … when cut) and padded to exactly `width`. Columns,
 * not UTF-16 units: CJK characters and most emoji take two (string-width), combining marks none.
 */
export function cell (text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  let cut = text
  if (stringWidth(text) > width) {
    cut = ''
    let used = 0
    for (const { segment } of graphemes.segment(text)) {
      const w = stringWidth(segment)
      if (used + w > width - 1) break
      cut += segment
      used += w
    }
    cut += '…'
  }
  const pad = ' '.repeat(Math.max(0, width - stringWidth(cut)))
  return align === 'left' ? cut + pad : pad + cut
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

export function shortBytes (n: number): string {
  return formatBytes(n).replace(' ', '')
}

export function shortRate (bytesPerSecond: number): string {
  return bytesPerSecond < 1 ? '-' : `${shortBytes(Math.round(bytesPerSecond))}/s`
}

export { formatEta } from '../../src/node/units.ts'

/** A progress bar `width` columns wide, e.g. `[#####-----]`. */
export function bar (fraction: number, width: number): string {
  const inner = Math.max(0, width - 2)
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * inner)
  return `[${'#'.repeat(filled)}${'-'.repeat(inner - filled)}]`
}

export function percent (done: number, total: number): string {
  if (total <= 0) return '  -'
  return `${Math.floor(Math.min(1, done / total) * 100)}%`.padStart(4)
}

/** The block map wrapped into `rows` lines of `width` (the map was rendered `width × rows` cells wide). */
export function wrapMap (map: string, width: number, rows: number): string[] {
  const out: string[] = []
  for (let i = 0; i < rows && i * width < map.length; i++) out.push(map.slice(i * width, (i + 1) * width))
  return out
}
