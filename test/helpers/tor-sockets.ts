// The TCP sockets this process holds, read from /proc (Linux): /proc/self/fd maps descriptors to
// socket inodes, /proc/net/tcp{,6} maps inodes to endpoints. Used to prove what the Tor
// transport opens: which listeners, and which peers it connects to.
import { readdir, readFile, readlink } from 'node:fs/promises'

export interface TcpSocketInfo {
  localAddress: string
  localPort: number
  remoteAddress: string
  remotePort: number
  /** /proc/net/tcp state: LISTEN, ESTABLISHED, TIME_WAIT... */
  state: string
}

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED', '02': 'SYN_SENT', '03': 'SYN_RECV', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '06': 'TIME_WAIT',
  '07': 'CLOSE', '08': 'CLOSE_WAIT', '09': 'LAST_ACK', '0A': 'LISTEN', '0B': 'CLOSING'
}

function ipv4 (hex: string): string {
  // Little-endian 32-bit word.
  return [3, 2, 1, 0].map(i => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.')
}

function ipv6 (hex: string): string {
  const words: string[] = []
  for (let w = 0; w < 4; w++) {
    const le = hex.slice(w * 8, w * 8 + 8)
    const be = le.slice(6, 8) + le.slice(4, 6) + le.slice(2, 4) + le.slice(0, 2)
    words.push(be.slice(0, 4), be.slice(4, 8))
  }
  const text = words.map(x => x.replace(/^0+(?=.)/, '')).join(':').toLowerCase()
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text)
  if (mapped !== null) {
    const n = (parseInt(mapped[1]!, 16) << 16 >>> 0) + parseInt(mapped[2]!, 16)
    return [24, 16, 8, 0].map(s => (n >>> s) & 255).join('.')
  }
  return text
}

/** Every TCP socket (v4 and v6) owned by this process, or by process `pid`. */
export async function ownTcpSockets (pid: number | 'self' = 'self'): Promise<TcpSocketInfo[]> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')
    const m = /^socket:\[([0-9]+)\]$/.exec(target)
    if (m !== null) inodes.add(m[1]!)
  }
  const out: TcpSocketInfo[] = []
  for (const [file, decode] of [['/proc/net/tcp', ipv4], ['/proc/net/tcp6', ipv6]] as const) {
    // Unreadable means unknown, not "no sockets": fail. Only a kernel without IPv6 lacks tcp6.
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (file === '/proc/net/tcp6' && err.code === 'ENOENT') return ''
      throw err
    })
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 10 || !inodes.has(f[9]!)) continue
      const [la, lp] = f[1]!.split(':')
      const [ra, rp] = f[2]!.split(':')
      out.push({
        localAddress: decode(la!), localPort: parseInt(lp!, 16),
        remoteAddress: decode(ra!), remotePort: parseInt(rp!, 16),
        state: STATES[f[3]!] ?? f[3]!
      })
    }
  }
  return out
}

/**
 * Samples the TCP sockets of `pids` every `intervalMs` until stopped, so a check covers what the
 * processes held during a transfer, not only after it. Each sample's sockets are kept (deduplicated).
 */
export function sampleTcpSockets (pids: number[], intervalMs = 100): { stop: () => Promise<Map<number, TcpSocketInfo[]>> } {
  const seen = new Map<number, Map<string, TcpSocketInfo>>(pids.map(p => [p, new Map()]))
  let samples = 0
  let failure: unknown
  let running = true
  const loop = (async () => {
    while (running) {
      for (const pid of pids) {
        let sockets: TcpSocketInfo[]
        try {
          sockets = await ownTcpSockets(pid)
        } catch (err) {
          // A process that exited mid-sample has no /proc entry: that ends its sampling, nothing else.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path?.startsWith(`/proc/${pid}/`) === true) continue
          failure = err
          running = false
          return
        }
        const m = seen.get(pid)!
        for (const s of sockets) m.set(`${s.state} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort}`, s)
      }
      samples++
      await new Promise(resolve => setTimeout(resolve, intervalMs))
    }
  })()
  return {
    async stop () {
      running = false
      await loop
      if (failure !== undefined) throw failure
      if (samples === 0) throw new Error('no socket sample was taken')
      return new Map([...seen].map(([pid, m]) => [pid, [...m.values()]]))
    }
  }
}
