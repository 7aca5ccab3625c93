import { Command, Option } from 'commander'
import { delimiter, join, resolve } from 'node:path'
import { makeOutput, joinsDht, openNode, persistentDataDir, withService, apiSocket, loadRuntimeModules, type GlobalOptions } from './context.ts'
import { resolveDataDir } from '../src/node/identity/datadir.ts'
import type { StatusResult } from '../src/node/service.ts'
import { progressFor } from './progress.ts'
import { formatBytes, parseDuration, parseSize } from './units.ts'
import { t } from './i18n/index.ts'
import { ensurePassphrase } from './passphrase.ts'
import { EXIT_INTERRUPTED, markInterrupted, UsageError } from './exit.ts'

// Not ES imports of node:fs and node:fs/promises: their facades cost `oht status` ~15 ms (bin/build-stamp.js).
const { accessSync, constants } = process.getBuiltinModule('node:fs')

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

/** `oht init|share|status|ls|fetch|export|import|daemon`: the node's own commands (command-table.ts). */
export function registerCoreCommands (program: Command): void {
  program.command('init')
    .description(t('cli.init.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const dataDir = persistentDataDir(g, 'oht init')
      const socket = apiSocket(dataDir)
      const { daemonRunning, DaemonClient } = await import('../src/node/api/client.ts')
      if (await daemonRunning(socket)) {
        const st = await new DaemonClient(socket).status()
        out.result({ nodeId: st.nodeId, dataDir, created: false }, t('cli.init.daemonRunning', { nodeId: st.nodeId }))
        return
      }
      const node = await openNode(g)
      try {
        if (node.created && process.env.OHT_PASSPHRASE == null) out.warn(t('cli.init.noPassphrase'))
        out.result({ nodeId: node.keys.nodeId, dataDir: node.dirs.root, created: node.created },
          t(node.created ? 'cli.init.created' : 'cli.init.existed', { nodeId: node.keys.nodeId, dataDir: node.dirs.root }))
      } finally {
        await node.close()
      }
    })

  program.command('share')
    .description(t('cli.share.description'))
    .argument('<path...>', t('cli.share.argPath'))
    .option('--name <name>', t('cli.share.optName'))
    .option('--follow-symlinks', t('cli.share.optFollowSymlinks'))
    .addOption(new Option('--block-size <size>', t('cli.share.optBlockSize')).default('256KiB'))
    .option('--verify-cap', t('cli.share.optVerifyCap'))
    .action(async (paths: string[], opts: { name?: string, followSymlinks?: boolean, blockSize: string, verifyCap?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const { MAX_BLOCK_SIZE, MIN_BLOCK_SIZE } = await import('../src/blocks/manifest.ts')
      const blockSize = parseBlockSize(opts.blockSize, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE)
      await withService(g, out, async service => {
        const progress = progressFor('sharing', out)
        const result = await service.share(paths, {
          blockSize,
          followSymlinks: opts.followSymlinks === true,
          ...(opts.name != null ? { name: opts.name } : {})
        }, progress.onProgress).finally(progress.finish)
        for (const s of result.skipped) out.warn(t('cli.share.skipped', { path: s.path, reason: s.reason }))
        const text = opts.verifyCap === true ? `${result.link}\n${t('cli.share.verifyCap', { verifyCap: result.verifyCap })}` : result.link
        out.result({ link: result.link, verifyCap: result.verifyCap, id: result.id, bytes: result.bytes }, text)
      })
    })

  program.command('status')
    .description(t('cli.status.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      // Asked of the daemon straight away (one connection); without one there is nothing running
      // to report but the node's id, which the keystore yields once unlocked: no need to open the
      // node (start-up, bench/cli.ts).
      const st = await daemonStatus(g) ?? await idleStatus(g) ?? await withService(g, out, async service => await service.status())
      const lines = [t('cli.status.node', { nodeId: st.nodeId }), st.daemon ? t('cli.status.daemon', { address: st.address ?? '?', transport: st.transport ?? '?' }) : t('cli.status.noDaemon')]
      for (const s of st.swarms) {
        lines.push(t('cli.status.swarm', {
          id: s.id, role: t(s.complete ? 'cli.status.seeding' : 'cli.status.fetching'), held: s.blocksHeld, wanted: s.blocksWanted,
          peers: s.peers, up: formatBytes(s.uploaded), down: formatBytes(s.downloaded)
        }))
      }
      for (const b of st.broken ?? []) lines.push(t('cli.status.broken', { id: b.id, name: b.name, reason: b.reason }))
      out.result(st, lines.join('\n'))
    })

  program.command('ls')
    .description(t('cli.ls.description'))
    .option('--pins', t('pin.ls.optPins'))
    .action(async (opts: { pins?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      if (opts.pins === true) { await (await import('./pin.ts')).listPins(g); return }
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const shares = await service.list()
        const role = (s: typeof shares[number]): string => s.role === 'fetcher' ? `${t('shares.fetched')} (${t(`shares.state.${s.state ?? 'complete'}`)})` : t(s.role === 'owner' ? 'cli.ls.own' : 'cli.ls.hold')
        const lines = shares.map(s => `${role(s)}  ${formatBytes(s.bytes).padStart(10)}  ${s.name}\n      ${s.link ?? s.id}${s.output != null ? `\n      → ${s.output}` : ''}` +
          (s.broken != null ? `\n${t('cli.ls.broken', { reason: s.broken })}` : ''))
        out.result({ shares }, shares.length === 0 ? t('cli.ls.empty') : lines.join('\n'))
      })
    })

  program.command('fetch')
    .description(t('cli.fetch.description'))
    .argument('<link>', t('cli.fetch.argLink'))
    .option('-o, --output <dir>', t('cli.fetch.optOutput'), '.')
    .option('--peer <address>', t('cli.fetch.optPeer'), collect, [])
    .option('--file <path>', t('cli.fetch.optFile'), collect, [])
    .option('--force', t('cli.fetch.optForce'))
    .option('--merge', t('cli.fetch.optMerge'))
    .option('--encrypted-parts', t('privacy.fetchOptEncryptedParts'))
    .option('--seed-ratio <ratio>', t('shares.optSeedRatio'))
    .option('--seed-time <duration>', t('shares.optSeedTime'))
    .addHelpText('after', t('privacy.fetchParts'))
    .action(async (link: string, opts: { output: string, peer: string[], file: string[], force?: boolean, merge?: boolean, encryptedParts?: boolean, seedRatio?: string, seedTime?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const { parseReadCap } = await import('../src/blocks/link.ts')
      const { resolveNamedLink } = await import('./names.ts')
      const cap = parseReadCap(await resolveNamedLink(g, out, link))
      const { parseRatio } = await import('./unshare.ts')
      const seedTime = opts.seedTime != null ? parseDuration(opts.seedTime) / 1000 : undefined
      const seed = { ...(opts.seedRatio != null ? { seedRatio: parseRatio(opts.seedRatio) } : {}), ...(seedTime != null && seedTime !== Infinity ? { seedTime } : {}) }
      // Ctrl-C cancels a fetch the daemon runs for us (an embedded fetch simply stops; both resume).
      const abort = new AbortController()
      const onSignal = (): void => {
        markInterrupted()
        abort.abort(new Error(t('cli.fetch.interrupted')))
        setTimeout(() => { process.exit(EXIT_INTERRUPTED) }, 3000).unref() // a local copy does not watch the signal
      }
      process.once('SIGINT', onSignal)
      try {
        await withService(g, out, async service => {
          const progress = progressFor('fetching', out)
          const r = await service.fetch(cap, { output: resolve(opts.output), peers: opts.peer, select: opts.file, overwrite: opts.force === true, merge: opts.merge === true, ...(opts.encryptedParts === true ? { encryptedParts: true } : {}), ...seed }, e => {
            if (e.type === 'progress') progress.onProgress?.(e.bytesDone, e.bytesTotal)
            else if (e.type === 'peer:dial-failed') out.warn(t('cli.fetch.dialFailed', { address: e.address, reason: e.reason }))
            else if (e.type === 'peer:banned') out.warn(t('cli.fetch.banned', { peer: e.peer.slice(0, 12), reason: e.reason }))
            else if (e.type === 'metadata' && e.resumed > 0) out.info(t('cli.fetch.resuming', { resumed: e.resumed, blocks: e.blocks }))
          }, abort.signal).finally(progress.finish)
          out.result({ path: r.path, bytes: r.bytes, seconds: r.seconds, peers: r.peers, ...(r.lanes != null ? { lanes: r.lanes } : {}), resumedBlocks: r.resumedBlocks },
            t('cli.fetch.done', { path: r.path, bytes: formatBytes(r.bytes), seconds: r.seconds.toFixed(2), peers: r.peers }))
        }, opts.peer.length > 0 || joinsDht(g)) // peers from --peer, or the DHT joined through --bootstrap or --network
      } finally {
        process.off('SIGINT', onSignal)
      }
    })

  program.command('export')
    .description(t('cli.export.description'))
    .argument('<link>', t('cli.export.argLink'))
    .requiredOption('--car', t('cli.export.optCar'))
    .option('-o, --output <file>', t('cli.export.optOutput'))
    .action(async (link: string, opts: { output?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const { parseCapability } = await import('../src/blocks/link.ts')
      const cap = parseCapability(link)
      await withService(g, out, async service => {
        const progress = progressFor('exporting', out)
        const r = await service.exportCar(cap, opts.output, progress.onProgress).finally(progress.finish)
        out.result(r, t('cli.export.done', { path: r.path, blocks: r.blocks, bytes: formatBytes(r.bytes), root: r.unixfsRoot }))
      })
    })

  program.command('import')
    .description(t('cli.import.description'))
    .argument('<file.car>', t('cli.import.argFile'))
    .action(async (file: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const r = await service.importCar(file)
        out.result(r, t('cli.import.done', { id: r.id, blocks: r.blocks, bytes: formatBytes(r.bytes) }))
      })
    })

  program.command('daemon')
    .description(t('cli.daemon.description'))
    .addHelpText('after', t('shares.daemonHelp'))
    .option('--bootstrap-host', t('cli.daemon.optBootstrapHost'))
    .option('--republish-interval <duration>', t('cli.daemon.optRepublish'), '30m')
    .option('--memory', t('privacy.daemonOptMemory'))
    .option('--log-file <path>', t('cli.daemon.optLogFile'))
    .option('--account <id>', t('people.daemonOptAccount'))
    .option('--presence-interval <duration>', t('people.daemonOptPresence'), '60s')
    .option('--name-ttl <duration>', t('names.daemonOptTtl'), '24h')
    .option('--channel-sync <duration>', t('channels.daemonOptSync'), '30s')
    .option('--public-fetch', t('webui.daemonOptPublicFetch'))
    .option('--public-fetch-rate <size>', t('webui.daemonOptPublicFetchRate'))
    .action(async (opts: { bootstrapHost?: boolean, republishInterval: string, logFile?: string, account?: string, presenceInterval: string, nameTtl: string, channelSync: string, publicFetch?: boolean, publicFetchRate?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const publicFetchRate = opts.publicFetchRate != null ? parseSize(opts.publicFetchRate) : undefined
      if (publicFetchRate != null && !(publicFetchRate > 0)) throw new Error(t('webui.badPublicFetchRate', { rate: opts.publicFetchRate! }))
      const log = opts.logFile != null ? (await import('./logging.ts')).openLogFile(opts.logFile) : undefined
      const logged = log == null ? out : { ...out, warn: (line: string) => { out.warn(line); log.line(`warning: ${line}`) } }
      try {
        await ensurePassphrase(resolveDataDir(g.dataDir))
        await loadRuntimeModules()
        const { runDaemon } = await import('./daemon.ts')
        await runDaemon(g, logged, { bootstrapHost: opts.bootstrapHost === true, republishMs: parseDuration(opts.republishInterval), ...(opts.account != null ? { account: opts.account } : {}), presenceMs: parseDuration(opts.presenceInterval), nameTtlMs: parseDuration(opts.nameTtl), channelSyncMs: parseDuration(opts.channelSync), ...(opts.publicFetch === true ? { publicFetch: publicFetchRate != null ? { bytesPerSecond: publicFetchRate } : {} } : {}) })
      } finally {
        log?.close()
      }
    })

}

/** `oht demo`: a private network on this machine, sharing and fetching a file. */
export function registerDemo (program: Command): void {
  program.command('demo')
    .description(t('cli.demo.description'))
    .option('--size <size>', t('cli.demo.optSize'))
    .option('--seeders <n>', t('cli.demo.optSeeders'), '3')
    .option('--keep', t('cli.demo.optKeep'))
    .action(async (opts: { size?: string, seeders: string, keep?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      // Onion services of a private Tor network when tor is installed; else TCP, saying so.
      let transport: 'tor' | 'tcp' = g.transport === 'tcp' ? 'tcp' : 'tor'
      if (transport === 'tor' && !torOnPath()) {
        if (g.transport === 'tor') throw new Error(t('cli.demo.noTor'))
        out.warn(t('cli.demo.fallback'))
        transport = 'tcp'
      }
      const size = parseSize(opts.size ?? (transport === 'tor' ? '16MiB' : '64MiB'))
      const { runDemo } = await import('./demo.ts')
      await runDemo({ size, seeders: Number(opts.seeders), keep: opts.keep === true, out, transport, memory: g.memory === true })
    })
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Whether a `tor` executable is on PATH (the demo's private Tor network needs one). */
function torOnPath (): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    try { accessSync(join(dir, 'tor'), constants.X_OK); return true } catch {}
  }
  return false
}

/** The --block-size of a share, checked before any file is read (hashing a large tree first would waste minutes). */
function parseBlockSize (text: string, MIN_BLOCK_SIZE: number, MAX_BLOCK_SIZE: number): number {
  let size: number
  try { size = parseSize(text) } catch { throw new UsageError('usage.badOption', t('cli.badBlockSize', { value: JSON.stringify(text) })) }
  if (size < MIN_BLOCK_SIZE || size > MAX_BLOCK_SIZE || (size & (size - 1)) !== 0) throw new UsageError('usage.badOption', t('cli.badBlockSize', { value: JSON.stringify(text) }))
  return size
}

/** `oht status` from the daemon of the data directory; undefined when none answers (or with --memory: withService finds its daemon). */
async function daemonStatus (g: GlobalOptions): Promise<StatusResult | undefined> {
  if (g.memory === true) return undefined
  const { DaemonClient } = await import('../src/node/api/client.ts')
  try {
    return await new DaemonClient(apiSocket(resolveDataDir(g.dataDir))).status()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).syscall === 'connect') return undefined // no daemon listens there
    throw err
  }
}

/** `oht status` of a data directory whose daemon is not running, from its keystore alone; undefined otherwise. */
async function idleStatus (g: GlobalOptions): Promise<StatusResult | undefined> {
  const dataDir = resolveDataDir(g.dataDir)
  const { daemonRunning } = await import('../src/node/api/client.ts')
  // Without --memory, daemonStatus() found no daemon just before.
  if (g.memory === true && await daemonRunning(apiSocket(dataDir))) return undefined
  // The keystore names the node id only inside its ciphertext: unlocked without opening the node
  // (no state database, no blockstore). A passphrase not given yet is asked for by the node's opening.
  const { keystoreFileIsProtected, readKeystore } = await import('../src/node/identity/keystore.ts')
  const keystore = join(dataDir, 'keystore.json')
  const passphrase = process.env.OHT_PASSPHRASE
  if (passphrase == null && await keystoreFileIsProtected(keystore)) return undefined
  try {
    const { nodeId } = await readKeystore(keystore, passphrase ?? '')
    return { nodeId, address: null, transport: null, daemon: false, swarms: [] }
  } catch {
    return undefined // no node yet (opening it creates one, as before), or the opening reports why not
  }
}
