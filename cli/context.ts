import { join } from 'node:path'
import { resolveDataDir } from '../src/node/datadir.ts'
import { OhtNode } from '../src/node/node.ts'
import { NodeNetwork } from '../src/node/network.ts'
import { LocalService, type NodeService } from '../src/node/service.ts'
import { DaemonClient, daemonRunning } from '../src/node/api-client.ts'
import { TcpTransport, type Transport } from '../src/onion/index.ts'
import { parseSize } from './units.ts'

/** Options every command accepts, before or after the command name. */
export interface GlobalOptions {
  dataDir?: string
  json?: boolean
  quiet?: boolean
  transport?: string
  listen?: string
  maxUpload?: string
}

export function networkOptions (g: GlobalOptions): { maxUploadBytesPerSecond?: number } {
  return g.maxUpload != null ? { maxUploadBytesPerSecond: parseSize(g.maxUpload) } : {}
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

export const apiSocket = (dataDir: string): string => join(dataDir, 'api.sock')

export async function openNode (g: GlobalOptions): Promise<OhtNode> {
  return await OhtNode.open({ dataDir: resolveDataDir(g.dataDir), passphrase: process.env.OHT_PASSPHRASE ?? '' })
}

/** The transport the user chose. Tor is the default and is not built yet: say so. */
export function makeTransport (g: GlobalOptions, out: Output): Transport {
  const kind = g.transport ?? 'tor'
  if (kind === 'tcp') {
    const transport = new TcpTransport(g.listen != null ? { listen: g.listen } : {})
    if (transport.warning != null) out.warn(transport.warning)
    return transport
  }
  if (kind === 'tor') {
    throw new Error('the Tor transport (the default) is not built yet; for tests and development use --transport tcp, which is NOT anonymous')
  }
  throw new Error(`unknown transport ${JSON.stringify(kind)} (tor or tcp)`)
}

/**
 * Runs `fn` against the node of this data directory: through its daemon when one runs (the
 * daemon holds the database), else in this process. `network` asks for a transport in the
 * embedded case (fetching from peers).
 */
export async function withService<T> (g: GlobalOptions, out: Output, fn: (service: NodeService) => Promise<T>, network = false): Promise<T> {
  const dataDir = resolveDataDir(g.dataDir)
  if (await daemonRunning(apiSocket(dataDir))) return await fn(new DaemonClient(apiSocket(dataDir)))
  const node = await openNode(g)
  let service: LocalService
  try {
    service = new LocalService(node, network ? new NodeNetwork(makeTransport(g, out), node.keys, networkOptions(g)) : undefined)
  } catch (err) {
    await node.close()
    throw err
  }
  try {
    return await fn(service)
  } finally {
    await service.close()
  }
}
