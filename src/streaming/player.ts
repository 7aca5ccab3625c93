import { spawn, type ChildProcess } from 'node:child_process'

export interface PlayerProcess {
  child: ChildProcess
  /** Exit code (null when killed by a signal); rejects when the command cannot be started. */
  exited: Promise<number | null>
}

/**
 * Splits a player command as a shell would split plain words and quotes, without a shell (no
 * expansion, no pipes): `mpv --fs`, `vlc`, `"/opt/My Player/player" --flag`.
 */
export function splitCommand (command: string): string[] {
  const words: string[] = []
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(command)) != null) words.push(m[1] ?? m[2] ?? m[3]!)
  return words
}

/**
 * Starts a media player on `url`: the URL replaces a `{url}` word of the command, or is added
 * as its last argument. Spawned directly (never through a shell), so the URL is one argument.
 */
export function launchPlayer (command: string, url: string): PlayerProcess {
  const words = splitCommand(command)
  if (words.length === 0) throw new Error('empty player command')
  const args = words.slice(1)
  const at = args.indexOf('{url}')
  if (at >= 0) args[at] = url
  else args.push(url)
  const child = spawn(words[0]!, args, { stdio: 'inherit', shell: false })
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', err => { reject(new Error(`cannot start the player ${JSON.stringify(words[0])}: ${err.message}`)) })
    child.once('exit', code => { resolve(code) })
  })
  return { child, exited }
}
