// `oht daemon --log-file <path>`: the daemon's debug log (the `debug` package's namespaces:
// oht:swarm, oht:swarm:block, oht:swarm:lanes, oht:dht, oht:tor, oht:net, oht:api) and its warnings, appended to a
// file only its owner can read (mode 0600: the log names shares and peers). DEBUG chooses the
// namespaces as usual; without DEBUG a log file gets every oht namespace but the per-block one.
import createDebug from 'debug'
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs'
import { format } from 'node:util'

export const DEFAULT_LOG_NAMESPACES = 'oht:*,-oht:swarm:block'

// Colors are chosen per logger when it is created (a terminal on stderr): none in a file.
const ANSI = /\x1b\[[0-9;]*m/g // eslint-disable-line no-control-regex

export interface LogFile {
  /** Appends one line (time-stamped), e.g. a warning the daemon also printed. */
  line: (text: string) => void
  close: () => void
}

export function openLogFile (path: string): LogFile {
  const fd = openSync(path, 'a', 0o600)
  fchmodSync(fd, 0o600) // an existing file keeps its mode otherwise
  let open = true
  const line = (text: string): void => {
    if (!open) return
    try { writeSync(fd, `${new Date().toISOString()} ${text.replace(ANSI, '').trimEnd()}\n`) } catch { /* a full disk must not stop the daemon */ }
  }
  if (createDebug.inspectOpts != null) createDebug.inspectOpts.hideDate = true // the line has its own time
  createDebug.log = (...args: unknown[]) => { line(format(...args)) }
  if (process.env.DEBUG == null || process.env.DEBUG === '') createDebug.enable(DEFAULT_LOG_NAMESPACES)
  return { line, close: () => { if (open) { open = false; closeSync(fd) } } }
}
