// Sizes and durations as people write and read them: parsed from flags and the config, shown by
// the CLI, the dashboard and the web UI.
const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40
}

export function parseSize (text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text)
  const unit = m?.[2]?.toLowerCase() ?? ''
  if (m == null || !(unit in SIZE_UNITS)) throw new Error(`not a size: ${JSON.stringify(text)} (try 512KiB, 2MiB, 1GB)`)
  const value = Math.round(Number(m[1]) * SIZE_UNITS[unit]!)
  if (!Number.isSafeInteger(value)) throw new Error(`size too large: ${text}`)
  return value
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, min: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 }

/** Longest finite duration accepted (100 years): beyond it dates overflow; say `never` instead. */
export const MAX_DURATION_MS = 100 * 365.25 * 86400e3

/** Milliseconds, or Infinity for `never`. */
export function parseDuration (text: string): number {
  if (text.trim() === 'never') return Infinity
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)\s*$/.exec(text)
  if (m == null) throw new Error(`not a duration: ${JSON.stringify(text)} (try 30s, 15m, 7d, never)`)
  const ms = Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!)
  if (!(ms <= MAX_DURATION_MS)) throw new Error(`duration too long: ${JSON.stringify(text)} (at most 100 years; or never)`)
  return ms
}

export function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`
}

export function formatRate (bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** 45s, 12m05s, 3h20m, 2d4h; '-' when unknown. */
export function formatEta (seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor(s % 3600 / 60)).padStart(2, '0')}m`
  return `${Math.floor(s / 86400)}d${Math.floor(s % 86400 / 3600)}h`
}
