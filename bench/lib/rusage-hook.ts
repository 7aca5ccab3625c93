// Preloaded with --import into the real `oht` CLI process: at exit, writes the process's CPU time
// (all threads, since process start) and peak RSS to $BENCH_RUSAGE_OUT, so the CLI is measured
// without changing it.
import { writeFileSync } from 'node:fs'

const out = process.env.BENCH_RUSAGE_OUT
if (out != null) {
  process.on('exit', () => {
    const cpu = process.cpuUsage()
    writeFileSync(out, JSON.stringify({
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      maxRssKiB: process.resourceUsage().maxRSS,
      uptimeSeconds: process.uptime()
    }))
  })
}
