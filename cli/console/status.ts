// The status line: node, transport and address, DHT size, transfers, rates; cut to the width.
import { t } from '../i18n/index.ts'
import { shortRate } from '../dashboard/format.ts'
import type { StatusFigures } from './session.ts'

export function statusLine (s: StatusFigures, width: number, embedded: boolean): string {
  if (s.nodeId == null) return fit(t('console.status.connecting'), width)
  const address = s.address == null ? t('dashboard.notListening') : shorten(s.address.replace(/^(onion|tcp):/, ''), 24)
  const parts = [
    `${s.nodeId.slice(0, 8)}…${embedded ? ` ${t('console.embeddedTag')}` : ''}`,
    `${s.transport ?? '-'} ${address}`,
    ...(s.dhtNodes != null ? [t('console.status.dhtShort', { n: s.dhtNodes })] : []),
    t('console.status.transfers', { n: s.transfers }),
    `↓${shortRate(s.downRate)} ↑${shortRate(s.upRate)}`,
    s.connected ? '●' : '○'
  ]
  return fit(parts.join(' │ '), width)
}

function shorten (text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 8)}…${text.slice(-7)}`
}

function fit (text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text.padEnd(width)
}
