// Shared by the benchmark's child processes: each contender runs alone in its own process and
// reports its wall time, CPU time (all threads) and peak RSS as one marked JSON line on stdout.

export const RESULT_MARK = 'BENCH_RESULT '

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
}

export function childArgs (): ChildArgs {
  const raw = process.argv[2]
  if (raw == null) throw new Error('missing the JSON argument (run this through bench/share.ts)')
  return JSON.parse(raw) as ChildArgs
}

/** Times `run` (wall and CPU), then prints the marked result line. Module loading is not timed. */
export async function measure (contender: string, run: () => Promise<RunOutcome>): Promise<void> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const outcome = await run()
  const wallSeconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const result: ChildResult = {
    contender,
    bytes: outcome.bytes,
    wallSeconds,
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    maxRssKiB: process.resourceUsage().maxRSS,
    extra: outcome.extra ?? {}
  }
  process.stdout.write(`${RESULT_MARK}${JSON.stringify(result)}\n`)
}
