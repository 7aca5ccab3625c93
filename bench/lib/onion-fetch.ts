// `oht fetch` processes on a private Tor network, timed from the outside: shared by bench/onion.ts
// and bench/first-block.ts.
import { readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import type { TorProcess } from '../../src/onion/tor/process.ts'
import { NODE_BIN, OHT_BIN, REPO } from '../../test/helpers/cli.ts'

export interface TimedFetch { seconds: number, firstByte: number, peers: number, lanes: number, cpu: number }

export function cpuSeconds (pid: number | undefined): number {
  if (pid == null) return 0
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch { return 0 }
}

export function torArgs (tor: TorProcess): string[] {
  return ['--transport', 'tor', '--tor-control', `127.0.0.1:${tor.controlPort}`, '--tor-cookie', tor.cookieFile]
}

/**
 * `oht fetch` with --progress json: seconds from the process start to the first progress with
 * bytes (the first verified block), and the result. With a daemon running on `dataDir` the fetch
 * runs in that daemon (the CLI is then only its client), else in an embedded node.
 */
export async function timedFetch (dataDir: string, tor: TorProcess, link: string, out: string, peers: string[], extra: string[] = []): Promise<TimedFetch> {
  const started = performance.now()
  const child = spawn(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, ...torArgs(tor), '--json', '--progress', 'json', 'fetch', link, '-o', out, ...peers.flatMap(p => ['--peer', p]), ...extra], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let firstByte = NaN
  let cpu = 0
  const poll = setInterval(() => { cpu = Math.max(cpu, cpuSeconds(child.pid)) }, 200)
  createInterface({ input: child.stderr! }).on('line', line => {
    let progress: { bytesDone?: number } | undefined
    try { progress = JSON.parse(line) as { bytesDone?: number } } catch {}
    // With DEBUG set (e.g. DEBUG=oht:swarm:lanes) the fetch's debug lines pass through.
    if (progress == null) { if (process.env.DEBUG != null) process.stderr.write(`${line}\n`); return }
    if (Number.isNaN(firstByte) && progress.bytesDone! > 0) firstByte = (performance.now() - started) / 1000
  })
  let result = ''
  child.stdout!.on('data', (d: Buffer) => { result += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve))
  clearInterval(poll)
  if (code !== 0) throw new Error(`fetch failed (${code}): ${result}`)
  const r = JSON.parse(result.trim().split('\n').pop()!) as { seconds: number, peers: number, lanes?: number }
  return { seconds: r.seconds, firstByte, peers: r.peers, lanes: r.lanes ?? r.peers, cpu }
}
