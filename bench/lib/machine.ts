// Facts about the machine a benchmark ran on, for bench/RESULTS.md.
import { readFileSync, statfsSync } from 'node:fs'
import { availableParallelism, cpus, release, totalmem, freemem, tmpdir } from 'node:os'

export interface MachineFacts {
  cpuModel: string
  logicalCpus: number
  availableParallelism: number
  /** CPU features that decide crypto speed (AES-NI, carry-less multiply for GHASH, SHA extensions, AVX2/VAES). */
  cryptoFlags: string[]
  /** Runs under a hypervisor (the `hypervisor` CPU flag): vCPUs may share physical cores. */
  virtualized: boolean
  ramGiB: number
  freeRamGiB: number
  node: string
  openssl: string
  kernel: string
  os: string
  diskFree: Record<string, string>
}

function readText (path: string): string | undefined {
  try { return readFileSync(path, 'utf8') } catch { return undefined }
}

function gib (n: number): number { return Math.round((n / 2 ** 30) * 10) / 10 }

export function machineFacts (dirs: Record<string, string>): MachineFacts {
  const cpuinfo = readText('/proc/cpuinfo') ?? ''
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown'
  const flags = new Set((/^flags\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/))
  const osRelease = readText('/etc/os-release') ?? ''
  const diskFree: Record<string, string> = {}
  for (const [name, dir] of Object.entries({ tmp: tmpdir(), ...dirs })) {
    try {
      const s = statfsSync(dir)
      diskFree[name] = `${dir}: ${gib(s.bavail * s.bsize)} GiB free of ${gib(s.blocks * s.bsize)} GiB`
    } catch (err) {
      diskFree[name] = `${dir}: ${(err as Error).message}`
    }
  }
  return {
    cpuModel: model,
    logicalCpus: cpus().length,
    availableParallelism: availableParallelism(),
    cryptoFlags: ['aes', 'pclmulqdq', 'vaes', 'vpclmulqdq', 'avx2', 'avx512f', 'sha_ni'].filter(f => flags.has(f)),
    virtualized: flags.has('hypervisor'),
    ramGiB: gib(totalmem()),
    freeRamGiB: gib(freemem()),
    node: process.version,
    openssl: process.versions.openssl ?? 'unknown',
    kernel: release(),
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? process.platform,
    diskFree
  }
}

/** Fraction of all CPUs busy over `ms` (Linux /proc/stat), or undefined elsewhere. */
export async function busyFraction (ms: number): Promise<number | undefined> {
  const sample = (): [number, number] | undefined => {
    const line = readText('/proc/stat')?.split('\n', 1)[0]
    if (line == null) return undefined
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number)
    const total = f.reduce((a, b) => a + b, 0)
    return [total - (f[3] ?? 0) - (f[4] ?? 0), total]
  }
  const a = sample()
  await new Promise(resolve => setTimeout(resolve, ms))
  const b = sample()
  if (a == null || b == null || b[1] === a[1]) return undefined
  return (b[0] - a[0]) / (b[1] - a[1])
}

/**
 * Waits until the machine is idle (under `threshold` of all CPUs busy over half a second), at
 * most `maxSeconds`. Returns the last busy fraction seen, so a run on a busy machine is marked.
 */
export async function waitForIdle (threshold: number, maxSeconds: number): Promise<number | undefined> {
  const deadline = performance.now() + maxSeconds * 1000
  for (;;) {
    const busy = await busyFraction(500)
    if (busy == null || busy < threshold || performance.now() > deadline) return busy
  }
}
