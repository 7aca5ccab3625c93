// Shared by the benchmark's child processes: each contender runs alone in its own process and
// reports its wall time, CPU time (all threads) and peak RSS as one marked JSON line on stdout.

import { readFileSync } from 'node:fs'

export const RESULT_MARK = 'BENCH_RESULT '

/** CPU time every process on the machine spent busy (all CPUs, seconds), from /proc/stat; undefined off Linux. */
export function machineBusySeconds (): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const f = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const busy = (f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)
    return busy / 100 // USER_HZ is 100 on Linux
  } catch {
    return undefined
  }
}

export interface ChildResult {
  contender: string
  /** Plaintext bytes the contender consumed. */
  bytes: number
  wallSeconds: number
  /** process.cpuUsage() over the timed region: user and system time of every thread. */
  cpuUserSeconds: number
  cpuSystemSeconds: number
  /** process.resourceUsage().maxRSS: the process's peak resident set, KiB, since it started. */
  maxRssKiB: number
  /**
   * CPU seconds the rest of the machine used during the timed region (all busy time minus this
   * process's): other processes, and kernel threads such as page-cache writeback. Linux only.
   */
  otherCpuSeconds?: number
  /** Contender-specific detail (phase timings, resulting CID, ...). */
  extra: Record<string, unknown>
}

export interface RunOutcome {
  bytes: number
  extra?: Record<string, unknown>
}

/** Arguments the parent passes to a child script, as one JSON argument. */
export interface ChildArgs {
  file: string
  /** A fresh, empty directory the child may write to; the parent removes it afterwards. */
  tmpDir: string
  blockSize: number
  /** Helia only: which blockstore, and the chunk size of its fixed-size chunker. */
  store?: 'fs' | 'null' | 'memory'
  chunkSize?: number
  /** Helia only: createReadStream's highWaterMark (Node's default is 64 KiB). */
  readSize?: number
  label?: string
  /** native only: worker threads splitting the file (1 = the single-core limit). */
  threads?: number
}

export function childArgs (): ChildArgs {
  const raw = process.argv[2]
  if (raw == null) throw new Error('missing the JSON argument (run this through bench/share.ts)')
  return JSON.parse(raw) as ChildArgs
}

/** Times `run` (wall and CPU), then prints the marked result line. Module loading is not timed. */
export async function measure (contender: string, run: () => Promise<RunOutcome>): Promise<void> {
  const busy0 = machineBusySeconds()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const outcome = await run()
  const wallSeconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const busy1 = machineBusySeconds()
  const result: ChildResult = {
    contender,
    bytes: outcome.bytes,
    wallSeconds,
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    maxRssKiB: process.resourceUsage().maxRSS,
    ...(busy0 != null && busy1 != null ? { otherCpuSeconds: Math.max(0, busy1 - busy0 - (cpu.user + cpu.system) / 1e6) } : {}),
    extra: outcome.extra ?? {}
  }
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`)
}
