// The passphrase of the keystores: OHT_PASSPHRASE when set (scripts, services), else asked for on
// the terminal, without echo, when a keystore this command opens is protected by one. Without a
// terminal nothing is asked: the unlock fails with the usual "wrong passphrase" error.
import { join } from 'node:path'
import { EXIT_INTERRUPTED } from './exit.ts'
import { t } from './i18n/index.ts'

/** Reads a line from the terminal without echoing it; Ctrl-C exits 130, Ctrl-D ends the line. */
export async function readHidden (prompt: string): Promise<string> {
  const input = process.stdin
  // Echo off before the prompt shows: what is typed as soon as it appears must not be echoed.
  input.setRawMode(true)
  process.stderr.write(prompt)
  input.resume()
  input.setEncoding('utf8')
  try {
    return await new Promise<string>(resolve => {
      let line = ''
      const onData = (chunk: string): void => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') { input.off('data', onData); resolve(line); return }
          if (ch === '\u0003') { process.stderr.write('\n'); process.exit(EXIT_INTERRUPTED) }
          if (ch === '\u007f' || ch === '\b') line = [...line].slice(0, -1).join('')
          else if (ch >= ' ') line += ch
        }
      }
      input.on('data', onData)
    })
  } finally {
    input.setRawMode(false)
    input.pause()
    process.stderr.write('\n')
  }
}

export const canPrompt = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true

/**
 * Makes sure OHT_PASSPHRASE is set (in this process only) when a keystore of the data directory
 * needs one and a person is at the terminal to type it. `accounts`: also look at the account
 * keystores (commands that sign with an account).
 */
export async function ensurePassphrase (dataDir: string, options: { accounts?: boolean } = {}): Promise<void> {
  if (process.env.OHT_PASSPHRASE != null || !canPrompt()) return
  // Loaded only when someone could be asked: the account modules bring the elliptic-curve libraries.
  const [{ accountKeystorePaths }, { keystoreFileIsProtected }] = await Promise.all([
    import('../src/node/identity/accounts.ts'), import('../src/node/identity/keystore.ts')
  ])
  const paths = [join(dataDir, 'keystore.json'), ...(options.accounts === true ? await accountKeystorePaths(dataDir) : [])]
  const needed = await Promise.all(paths.map(keystoreFileIsProtected))
  if (!needed.includes(true)) return
  process.env.OHT_PASSPHRASE = await readHidden(t('passphrase.prompt', { dataDir }))
}
