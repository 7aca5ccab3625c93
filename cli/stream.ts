import { resolve } from 'node:path'
import type { Command } from 'commander'
import type { ReadCap } from '../src/blocks/link.ts'
import { apiSocket, dataDirOf, errorText, joinsDht, makeOutput, withRuntime, type GlobalOptions, type Output } from './context.ts'
import { t } from './i18n/index.ts'

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
      const { parseReadCap } = await import('../src/blocks/link.ts')
      const cap = parseReadCap(link)
      const socket = apiSocket(dataDirOf(g))
      const { daemonRunning } = await import('../src/node/api/client.ts')
      if (await daemonRunning(socket)) await streamViaDaemon(socket, cap, opts, out)
      else await streamEmbedded(g, cap, opts, out)
    })
}

/** The daemon fetches and serves; this prints its URL (or runs the player on it) and returns. */
async function streamViaDaemon (socket: string, cap: ReadCap, opts: StreamOpts, out: Output): Promise<void> {
  const { formatLink } = await import('../src/blocks/link.ts')
  const body = { link: formatLink(cap), peers: opts.peer, ...(opts.file != null ? { file: opts.file } : {}), ...(opts.output != null ? { output: resolve(opts.output) } : {}) }
  const { ApiError, DaemonClient } = await import('../src/node/api/client.ts')
  const answer = await new DaemonClient(socket).call('POST', '/stream', body).catch((err: unknown) => {
    throw err instanceof ApiError && err.status === 404 ? new Error(t('stream.daemonNoStreams')) : err
  })
  const { url } = answer as { url: string }
  out.result({ url }, url)
  if (opts.player != null) await play(opts.player, url, out)
}

/** An embedded node fetches and serves in the foreground until interrupted (or the player exits). */
async function streamEmbedded (g: GlobalOptions, cap: ReadCap, opts: StreamOpts, out: Output): Promise<void> {
  const interrupted = new AbortController()
  const onSignal = (): void => { interrupted.abort(new Error('interrupted')) }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    // No --peer: the share's providers are found in the DHT, joined as a client through
    // --bootstrap or the network's shared address.
    await withRuntime(g, out, { network: true, dht: joinsDht(g) }, async runtime => {
      const handle = await runtime.stream(cap, {
        peers: opts.peer,
        ...(opts.file != null ? { file: opts.file } : {}),
        ...(opts.output != null ? { output: resolve(opts.output) } : {}),
        signal: interrupted.signal,
        onEvent: e => {
          if (e.type === 'peer:dial-failed') out.warn(t('cli.fetch.dialFailed', { address: e.address, reason: e.reason }))
          else if (e.type === 'peer:banned') out.warn(t('cli.fetch.banned', { peer: e.peer.slice(0, 12), reason: e.reason }))
        }
      })
      out.result({ url: handle.url }, handle.url)
      // Status goes to stderr: stdout carries only the URL, for scripts and players.
      const note = (line: string): void => { if (!out.quiet && !out.json) process.stderr.write(line + '\n') }
      note(t('stream.serving'))
      const failed = handle.fetched.then(r => { note(t('stream.complete', { path: r.path })); return new Promise<never>(() => {}) },
        (err: Error) => { throw new Error(t('stream.failed', { reason: errorText(err) })) })
      const stopped = new Promise<void>(resolve => { interrupted.signal.addEventListener('abort', () => { resolve() }, { once: true }) })
      const waits: Array<Promise<unknown>> = [stopped, failed]
      if (opts.player != null) waits.push(play(opts.player, handle.url, out))
      await Promise.race(waits)
    })
  } catch (err) {
    if (!interrupted.signal.aborted) throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function play (command: string, url: string, out: Output): Promise<void> {
  const { launchPlayer } = await import('../src/streaming/index.ts')
  const code = await launchPlayer(command, url).exited
  if (code !== 0) out.warn(t('stream.playerExited', { code: String(code) }))
}
