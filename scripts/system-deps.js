#!/usr/bin/env node
// The system programs the test suite drives for real. `npm test` runs this first: what is
// missing is installed with apt-get when this machine can (root, Debian/Ubuntu), otherwise the
// exact command to run is printed and the tests do not start.
import { spawnSync } from 'node:child_process'

/** program on PATH → Debian package that provides it */
const NEEDED = [
  ['tor', 'tor'], // the private Tor network on loopback
  ['ffmpeg', 'ffmpeg'], // streaming tests make media
  ['ffprobe', 'ffmpeg'], // streaming tests read frames
  ['tmux', 'tmux'], // the dashboard and console in a real terminal
  ['chromium', 'chromium'] // the web UI in a real browser
]

const has = (program) => spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0
const missing = [...new Set(NEEDED.filter(([program]) => !has(program)).map(([, pkg]) => pkg))]
if (missing.length === 0) process.exit(0)

const command = `apt-get update && apt-get install -y ${missing.join(' ')}`
const canInstall = process.getuid?.() === 0 && has('apt-get') && process.env.OHT_NO_INSTALL == null
if (!canInstall) {
  console.error(`oht tests need: ${missing.join(', ')}. Install them, e.g. as root: ${command}`)
  process.exit(1)
}
console.error(`installing what the tests need: ${missing.join(' ')}`)
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
for (const args of [['update'], ['install', '-y', ...missing]]) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env })
  if (r.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed (status ${r.status}); install by hand: ${command}`)
    process.exit(1)
  }
}
