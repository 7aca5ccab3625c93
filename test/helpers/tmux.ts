// `oht console` in a real terminal for tests: a detached 80×24 tmux session, keys typed with
// send-keys, frames read with capture-pane until one shows what the test waits for.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { NODE_BIN, REPO } from './cli.ts'

const run = promisify(execFile)
const CONSOLE_BIN = join(REPO, 'bin', 'oht-console.js')

export async function tmux (...args: string[]): Promise<string> {
  return (await run('tmux', args, { encoding: 'utf8' })).stdout
}

/** Captures the pane until `check` accepts it (bounded); returns the accepted frame. */
export async function waitForFrame (session: string, what: string, ms: number, check: (frame: string) => boolean): Promise<string> {
  const end = Date.now() + ms
  let frame = ''
  while (Date.now() < end) {
    frame = await tmux('capture-pane', '-p', '-t', session).catch(() => '')
    if (check(frame)) return frame
    await sleep(200)
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last frame:\n${frame}`)
}

/** True once the tmux session is gone (the console exited), false if it is still there after `ms`. */
export async function ended (session: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (!await tmux('has-session', '-t', session).then(() => true, () => false)) return true
    await sleep(200)
  }
  return false
}

/** Starts the console in a detached 80×24 tmux session; the session ends when the console exits. */
export async function startConsole (t: { after: (fn: () => Promise<void>) => void }, name: string, cwd: string, args: string[]): Promise<string> {
  const session = `oht-console-${name}-${process.pid}`
  const command = [NODE_BIN, CONSOLE_BIN, ...args].map(a => `'${a}'`).join(' ')
  await tmux('new-session', '-d', '-x', '80', '-y', '24', '-s', session, '-c', cwd, `env -u OHT_HOME -u OHT_PASSPHRASE -u NODE_OPTIONS -u NODE_TEST_CONTEXT ${command}`)
  t.after(async () => { await tmux('kill-session', '-t', session).catch(() => '') })
  return session
}

/** Types `text` literally, then Enter unless `enter` is false. */
export async function type (session: string, text: string, enter = true): Promise<void> {
  await tmux('send-keys', '-t', session, '-l', '--', text)
  if (enter) await tmux('send-keys', '-t', session, 'Enter')
}

/** The frame fits an 80×24 terminal. */
export const fits = (frame: string): boolean => { const lines = frame.split('\n'); return lines.length <= 25 && lines.every(l => l.length <= 80) }
/** The input line: the last line that starts with the prompt. */
export const prompt = (frame: string): string => frame.split('\n').filter(l => l.startsWith('oht>')).at(-1)?.trimEnd() ?? ''
