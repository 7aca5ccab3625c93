import { resolveDataDir } from '../src/node/datadir.ts'
import { OhtNode } from '../src/node/node.ts'

/** Options every command accepts, before or after the command name. */
export interface GlobalOptions {
  dataDir?: string
  json?: boolean
  quiet?: boolean
}

export interface Output {
  json: boolean
  quiet: boolean
  /** Human text on stdout, unless --json or --quiet. */
  info: (line: string) => void
  /** Warnings on stderr (kept under --json so scripts still see them; dropped by --quiet). */
  warn: (line: string) => void
  /** The command's result: one JSON object under --json, else the given text. */
  result: (value: object, text: string) => void
  progress: boolean
}

export function makeOutput (g: GlobalOptions): Output {
  const json = g.json === true
  const quiet = g.quiet === true
  return {
    json,
    quiet,
    info: line => { if (!json && !quiet) process.stdout.write(line + '\n') },
    warn: line => { if (!quiet) process.stderr.write(`oht: warning: ${line}\n`) },
    result: (value, text) => {
      if (json) process.stdout.write(JSON.stringify(value) + '\n')
      else if (text !== '') process.stdout.write(text + '\n')
    },
    progress: !json && !quiet
  }
}

export async function withNode<T> (g: GlobalOptions, fn: (node: OhtNode) => Promise<T>): Promise<T> {
  const node = await OhtNode.open({ dataDir: resolveDataDir(g.dataDir), passphrase: process.env.OHT_PASSPHRASE ?? '' })
  try {
    return await fn(node)
  } finally {
    await node.close()
  }
}
