import { Command, Option } from 'commander'
import { resolve } from 'node:path'
import { makeOutput, openNode, withService, apiSocket, type GlobalOptions } from './context.ts'
import { resolveDataDir } from '../src/node/datadir.ts'
import { daemonRunning, DaemonClient } from '../src/node/api-client.ts'
import { runDaemon } from './daemon.ts'
import { progressFor } from './progress.ts'
import { formatBytes, parseSize } from './units.ts'
import { runDemo } from './demo.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

export function registerCommands (program: Command): void {
  program.command('init')
    .description('create this node\'s keys and data directory (other commands do it on first use)')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const socket = apiSocket(resolveDataDir(g.dataDir))
      if (await daemonRunning(socket)) {
        const st = await new DaemonClient(socket).status()
        out.result({ nodeId: st.nodeId, dataDir: resolveDataDir(g.dataDir), created: false }, `already initialized: node ${st.nodeId} (its daemon is running)`)
        return
      }
      const node = await openNode(g)
      try {
        if (node.created && process.env.OHT_PASSPHRASE == null) {
          out.warn('keystore written without a passphrase: keys are protected by file permissions only (set OHT_PASSPHRASE before init to encrypt them)')
        }
        out.result({ nodeId: node.keys.nodeId, dataDir: node.dirs.root, created: node.created },
          `${node.created ? 'initialized' : 'already initialized'}: node ${node.keys.nodeId}\ndata directory: ${node.dirs.root}`)
      } finally {
        await node.close()
      }
    })

  program.command('share')
    .description('share files or directories in place (nothing is copied) and print the link;\n' +
      'several paths become one share. A running daemon (oht daemon) seeds it to peers.')
    .argument('<path...>', 'files or directories')
    .option('--name <name>', 'top-level name of the share (default: the file or directory name)')
    .option('--follow-symlinks', 'include what symbolic links point to (default: skip links)')
    .addOption(new Option('--block-size <size>', 'plaintext block size, a power of two from 16KiB to 16MiB').default('256KiB'))
    .option('--verify-cap', 'also print the verify capability (fetch, check and serve without decrypting)')
    .action(async (paths: string[], opts: { name?: string, followSymlinks?: boolean, blockSize: string, verifyCap?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const blockSize = parseSize(opts.blockSize)
      await withService(g, out, async service => {
        const progress = progressFor('sharing', out.progress)
        const result = await service.share(paths, {
          blockSize,
          followSymlinks: opts.followSymlinks === true,
          ...(opts.name != null ? { name: opts.name } : {})
        }, progress.onProgress).finally(progress.finish)
        for (const s of result.skipped) out.warn(`skipped ${s.path}: ${s.reason}`)
        const text = opts.verifyCap === true ? `${result.link}\nverify capability: ${result.verifyCap}` : result.link
        out.result({ link: result.link, verifyCap: result.verifyCap, id: result.id, bytes: result.bytes }, text)
      })
    })

  program.command('status')
    .description('this node: id, listening address, transport, and the swarms of a running daemon')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const st = await service.status()
        const lines = [`node ${st.nodeId}`, st.daemon ? `daemon listening on ${st.address ?? '?'} (${st.transport ?? '?'})` : 'no daemon running']
        for (const s of st.swarms) lines.push(`  ${s.id}  ${s.complete ? 'seeding' : 'fetching'}  ${s.blocksHeld}/${s.blocksWanted} blocks  ${s.peers} peers  up ${formatBytes(s.uploaded)}  down ${formatBytes(s.downloaded)}`)
        out.result(st, lines.join('\n'))
      })
    })

  program.command('ls')
    .description('list the shares this node owns or holds')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const shares = await service.list()
        const lines = shares.map(s => `${s.role === 'owner' ? 'own ' : 'hold'}  ${formatBytes(s.bytes).padStart(10)}  ${s.name}\n      ${s.link ?? s.id}`)
        out.result({ shares }, shares.length === 0 ? 'no shares yet (oht share <path>)' : lines.join('\n'))
      })
    })

  program.command('fetch')
    .description('fetch a share into a directory from the given peers, all at once, verifying every block\n' +
      '(leaf hash and Merkle root) before it is written; files are written as .part and renamed\n' +
      'when complete; a killed fetch resumes. Shares this node holds need no peers.\n' +
      'Status: peers must be given with --peer (finding them through the DHT is not built yet).')
    .argument('<link>', 'oht:// link')
    .option('-o, --output <dir>', 'output directory', '.')
    .option('--peer <address>', 'a peer to fetch from, e.g. tcp:127.0.0.1:4001 (repeatable)', collect, [])
    .option('--file <path>', 'fetch only this path of a directory share (repeatable)', collect, [])
    .option('--force', 'replace existing files')
    .action(async (link: string, opts: { output: string, peer: string[], file: string[], force?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const progress = progressFor('fetching', out.progress)
        const r = await service.fetch(link, { output: resolve(opts.output), peers: opts.peer, select: opts.file, overwrite: opts.force === true }, e => {
          if (e.type === 'progress') progress.onProgress?.(e.bytesDone, e.bytesTotal)
          else if (e.type === 'peer:dial-failed') out.warn(`could not reach ${e.address}: ${e.reason}`)
          else if (e.type === 'peer:banned') out.warn(`banned peer ${e.peer.slice(0, 12)}…: ${e.reason}`)
          else if (e.type === 'metadata' && e.resumed > 0) out.info(`resuming: ${e.resumed} of ${e.blocks} blocks already here`)
        }).finally(progress.finish)
        out.result({ path: r.path, bytes: r.bytes, seconds: r.seconds, peers: r.peers, resumedBlocks: r.resumedBlocks },
          `${r.path} (${formatBytes(r.bytes)} in ${r.seconds.toFixed(2)} s, ${r.peers === 0 ? 'from local blocks' : `from ${r.peers} peer${r.peers === 1 ? '' : 's'}`})`)
      }, opts.peer.length > 0)
    })

  program.command('export')
    .description('write a share\'s ciphertext as a CAR file: a UnixFS DAG whose raw leaves are the encrypted\n' +
      'blocks, plus the manifest. Any IPFS node can import and serve it; only the link decrypts it.')
    .argument('<link>', 'oht:// link or oht-verify:// capability of a share this node holds')
    .requiredOption('--car', 'export as a CAR (the only format)')
    .option('-o, --output <file>', 'output file (default: <id>.car)')
    .action(async (link: string, opts: { output?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const progress = progressFor('exporting', out.progress)
        const r = await service.exportCar(link, opts.output, progress.onProgress).finally(progress.finish)
        out.result(r, `${r.path} (${r.blocks} blocks, ${formatBytes(r.bytes)}; UnixFS root ${r.unixfsRoot})`)
      })
    })

  program.command('import')
    .description('import a CAR exported by oht: every block is checked against its CID and the\n' +
      'Merkle root before anything is stored; the share can then be fetched with its link')
    .argument('<file.car>', 'CAR file')
    .action(async (file: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withService(g, out, async service => {
        const r = await service.importCar(file)
        out.result(r, `imported ${r.id} (${r.blocks} blocks, ${formatBytes(r.bytes)} of plaintext)`)
      })
    })

  program.command('daemon')
    .description('run this node: listen on the transport, seed every share it owns and every share it\n' +
      'fetches, and serve the local API that the other commands use while it runs (a unix socket\n' +
      'in the data directory). Status: only --transport tcp exists (not anonymous); Tor comes next.')
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      await runDaemon(g, makeOutput(g))
    })

  program.command('demo')
    .description('a private network of nodes on this machine (TCP on 127.0.0.1): one shares a generated\n' +
      'file, the others fetch it from her and from each other, the last from all of them at once;\n' +
      'then the share travels as an IPFS CAR to an offline node. Status: over TCP, as Tor is not built yet.')
    .option('--size <size>', 'size of the generated file', '64MiB')
    .option('--seeders <n>', 'nodes that seed before the last fetch', '3')
    .option('--keep', 'keep the demo directory')
    .action(async (opts: { size: string, seeders: string, keep?: boolean }, cmd: Command) => {
      const g = globals(cmd)
      await runDemo({ size: parseSize(opts.size), seeders: Number(opts.seeders), keep: opts.keep === true, out: makeOutput(g) })
    })
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}
