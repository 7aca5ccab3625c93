// How the oht command ends (README "Exit codes"): 0 done, 1 an error, 2 a usage error (unknown
// command or option, a missing argument), 130 interrupted (Ctrl-C, as shells report SIGINT).
// Under --json an error is also one JSON object on stdout: {"error": {"code", "message"}}.
import { CommanderError } from 'commander'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_USAGE = 2
export const EXIT_INTERRUPTED = 130

let interrupted = false

/** A bad option value or argument the command line gave: exits 2, like commander's own. */
export class UsageError extends Error {
  override name = 'UsageError'
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

/** A command that stops on Ctrl-C calls this, so the error its work then ends with exits 130. */
export function markInterrupted (): void { interrupted = true }
export function wasInterrupted (): boolean { return interrupted }

/** The exit code for an error that ended the command. */
export function exitCodeOf (err: unknown): number {
  if (err instanceof CommanderError) {
    // help and --version end through commander too, with its exit code 0.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
  }
  if (err instanceof UsageError) return EXIT_USAGE
  return interrupted ? EXIT_INTERRUPTED : EXIT_ERROR
}

/** A stable, machine-readable code for an error: the node's (fetch.noPeers, …), commander's, else a generic one. */
export function errorCodeOf (err: unknown): string {
  if (err instanceof CommanderError) return err.code
  if (interrupted) return 'interrupted'
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^[a-zA-Z][\w.-]*$/.test(code)) {
    // Node's system errors (ENOENT, EACCES) keep their names; config errors get their area.
    return ['unknownKey', 'badValue', 'badFile'].includes(code) ? `config.${code}` : code
  }
  return 'error'
}

/** The --json form of an error, one line. */
export function jsonError (err: unknown, message: string): string {
  return JSON.stringify({ error: { code: errorCodeOf(err), message } }) + '\n'
}
