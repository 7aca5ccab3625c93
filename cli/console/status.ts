// The status line: node, transport and address, DHT size, transfers, rates; cut to the width.
import { t } from '../i18n/index.ts'
import { shortRate } from '../dashboard/format.ts'
import type { StatusFigures } from './session.ts'

export function statusLine (s: StatusFigures, width: number, embedded: boolean): string {
  if (s.nodeId == null) return fit(t('console.status.connecting'), width)
  const address = s.address == null ? t('dashboard.notListening') : shortAddress(s.address)
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

/** `abcdefghijkl….onion:4001` for an onion address (enough to tell two apart), `127.0.0.1:4001` for TCP. */
export function shortAddress (address: string): string {
  const bare = address.replace(/^(onion|tcp):/, '')
  const onion = /^([a-z2-7]{56})\.onion:(\d+)$/.exec(bare)
  return onion != null ? `${onion[1]!.slice(0, 12)}….onion:${onion[2]!}` : bare.length <= 24 ? bare : `${bare.slice(0, 23)}…`
}

function fit (text: string, width: number): string {
  return text.length > width ? text.slice(0, Math.max(0, width - 1)) + '…' : text.padEnd(width)
}
