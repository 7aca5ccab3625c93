import { request } from 'node:http'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { parseReadCap, verifyCapOf } from '../src/blocks/index.ts'
import { apiSocket, discoveryFor, makeOutput, makeTransport, networkOptions, openNode, type GlobalOptions, type Output } from './context.ts'
import { t } from './i18n/index.ts'
import { resolveDataDir } from '../src/node/datadir.ts'
import { daemonRunning } from '../src/node/api-client.ts'
import { API_VERSION } from '../src/node/api.ts'
import { NodeNetwork } from '../src/node/network.ts'
import { StreamService } from '../src/node/streams.ts'
import { launchPlayer } from '../src/streaming/index.ts'

interface StreamOpts { file?: string, player?: string, peer: string[], output?: string }

export function registerStream (program: Command): void {
  program.command('stream')
    .description(t('stream.description'))
    .argument('<link>', t('stream.argLink'))
    .option('--file <path>', t('stream.optFile'))
    .option('--player <command>', t('stream.optPlayer'))
    .option('--peer <address>', t('stream.optPeer'), (v: string, prev: string[]) => [...prev, v], [])
    .option('-o, --output <dir>', t('stream.optOutput'))
    .action(async (link: string, opts: StreamOpts, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const out = makeOutput(g)
      const socket = apiSocket(resolveDataDir(g.dataDir))
      if (await daemonRunning(socket)) await streamViaDaemon(socket, link, opts, out)
      else await streamEmbedded(g, link, opts, out)
    })
}

/** The daemon fetches and serves; this prints its URL (or runs the player on it) and returns. */
async function streamViaDaemon (socket: string, link: string, opts: StreamOpts, out: Output): Promise<void> {
  const body = { link, peers: opts.peer, ...(opts.file != null ? { file: opts.file } : {}), ...(opts.output != null ? { output: resolve(opts.output) } : {}) }
  const { url } = await postJson(socket, `/${API_VERSION}/stream`, body) as { url: string }
  out.result({ url }, url)
  if (opts.player != null) await play(opts.player, url, out)
}

/** An embedded node fetches and serves in the foreground until interrupted (or the player exits). */
async function streamEmbedded (g: GlobalOptions, link: string, opts: StreamOpts, out: Output): Promise<void> {
  const node = await openNode(g)
  let network: NodeNetwork | undefined
  let service: StreamService | undefined
  const interrupted = new AbortController()
  const onSignal = (): void => { interrupted.abort(new Error('interrupted')) }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    network = new NodeNetwork(makeTransport(g, out), node.keys, networkOptions(g))
    service = new StreamService(node, network)
    let peers: readonly string[] = opts.peer
    if (peers.length === 0 && ((g.bootstrap?.length ?? 0) > 0 || g.network != null)) {
      // No --peer: find the share's providers in the DHT, joined as a client through --bootstrap
      // or the network's shared address.
      const discovery = discoveryFor(g, node, network)
      const cap = parseReadCap(link)
      peers = (await discovery.findPeers(cap.manifestCid, verifyCapOf(cap).swarmKey, interrupted.signal)).addresses
      await discovery.stop()
    }
    const handle = await service.start(link, {
      peers,
      ...(opts.file != null ? { file: opts.file } : {}),
      ...(opts.output != null ? { output: resolve(opts.output) } : {}),
      signal: interrupted.signal,
      onEvent: e => {
        if (e.type === 'peer:dial-failed') out.warn(`could not reach ${e.address}: ${e.reason}`)
        else if (e.type === 'peer:banned') out.warn(`banned peer ${e.peer.slice(0, 12)}…: ${e.reason}`)
      }
    })
    out.result({ url: handle.url }, handle.url)
    // Status goes to stderr: stdout carries only the URL, for scripts and players.
    const note = (line: string): void => { if (!out.quiet && !out.json) process.stderr.write(line + '\n') }
    note(t('stream.serving'))
    const failed = handle.fetched.then(r => { note(t('stream.complete', { path: r.path })); return new Promise<never>(() => {}) },
      (err: Error) => { throw new Error(t('stream.failed', { reason: err.message })) })
    const stopped = new Promise<void>(resolve => { interrupted.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
    const waits: Array<Promise<unknown>> = [stopped, failed]
    if (opts.player != null) waits.push(play(opts.player, handle.url, out))
    await Promise.race(waits)
  } catch (err) {
    if (!interrupted.signal.aborted) throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await service?.close().catch(() => {})
    await network?.close().catch(() => {})
    await node.close()
  }
}

async function play (command: string, url: string, out: Output): Promise<void> {
  const code = await launchPlayer(command, url).exited
  if (code !== 0) out.warn(t('stream.playerExited', { code: String(code) }))
}

/** POST to the daemon's API; accepts a JSON answer or the NDJSON of long operations. */
async function postJson (socketPath: string, path: string, body: object): Promise<unknown> {
  const payload = JSON.stringify(body)
  return await new Promise((done, fail) => {
    const req = request({ socketPath, path, method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, res => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8')
        if (res.statusCode === 404) { fail(new Error(t('stream.daemonNoStreams'))); return }
        try {
          const lines = text.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as Record<string, unknown>)
          const error = lines.find(l => l.type === 'error' || typeof l.error === 'string')
          if (error != null || (res.statusCode ?? 500) >= 400) { fail(new Error(String(error?.message ?? error?.error ?? `daemon answered ${res.statusCode}`))); return }
          const result = lines.find(l => l.type === 'result')
          done(result != null ? result.value : lines[lines.length - 1])
        } catch (err) { fail(err as Error) }
      })
    })
    req.on('error', fail)
    req.end(payload)
  })
}
