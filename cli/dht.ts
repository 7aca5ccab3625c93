// `oht peers` (the DHT routing table) and `oht dht put|get|delete` (signed, expiring values in the
// onion DHT). Through the daemon when one runs; else an embedded node joins through --bootstrap.
import type { Command } from 'commander'
import { readFile } from 'node:fs/promises'
import type { DhtService } from '../src/node/index.ts'
import { daemonFor, makeOutput, withRuntime, type GlobalOptions, type Output } from './context.ts'
import { t } from './i18n/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

async function withDht<T> (g: GlobalOptions, out: Output, fn: (dht: DhtService) => Promise<T>): Promise<T> {
  const daemon = await daemonFor(g)
  if (daemon != null) {
    const { ApiDhtService } = await import('../src/node/api/dht-client.ts')
    return await fn(new ApiDhtService(daemon))
  }
  return await withRuntime(g, out, { network: true }, async runtime => await fn(runtime.dht!))
}

export function registerDht (program: Command): void {
  program.command('peers')
    .description(t('dht.peers.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withDht(g, out, async dht => {
        const info = await dht.info()
        const lines = info.peers.map(p => `${p.nodeId.slice(0, 16)}  ${p.address}${p.failures > 0 ? `  (${t('dht.peers.failures', { n: p.failures })})` : ''}`)
        lines.unshift(t('dht.peers.header', { n: info.peers.length }))
        out.result(info, lines.join('\n'))
      })
    })

  const dht = program.command('dht').description(t('dht.description'))
  dht.command('put')
    .description(t('dht.put.description'))
    .argument('[value]', t('dht.put.argValue'))
    .option('--file <path>', t('dht.put.optFile'))
    .option('--mutable', t('dht.put.optMutable'))
    .option('--salt <hex>', t('dht.put.optSalt'))
    .option('--private', t('dht.put.optPrivate'))
    .option('--handle <ref>', t('dht.put.optHandle'))
    .action(async (value: string | undefined, opts: { file?: string, mutable?: boolean, salt?: string, private?: boolean, handle?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      if ((value == null) === (opts.file == null)) throw new Error(t('dht.put.oneValue'))
      if (opts.mutable === true && opts.private === true) throw new Error(t('dht.put.oneKind'))
      const bytes = opts.file != null ? await readFile(opts.file) : Buffer.from(value!, 'utf8')
      const kind = opts.private === true || opts.handle != null ? 'private' : opts.mutable === true || opts.salt != null ? 'mutable' : 'immutable'
      await withDht(g, out, async service => {
        const r = await service.put({
          value: bytes.toString('base64'), encoding: 'base64', kind,
          ...(opts.salt != null ? { salt: opts.salt } : {}),
          ...(opts.handle != null ? { handle: opts.handle } : {})
        })
        // Under --quiet only the reference, so that `ref=$(oht dht put -q …)` works.
        out.result(r, out.quiet ? r.ref : `${r.ref}\n${t('dht.put.stored', { n: r.stored })}`)
      })
    })
  dht.command('get')
    .description(t('dht.get.description'))
    .argument('<ref>', t('dht.argRef'))
    .action(async (ref: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withDht(g, out, async service => {
        const r = await service.get(ref)
        if (!r.found) throw new Error(r.deleted ? t('dht.get.deleted') : t('dht.get.notFound'))
        if (out.json) out.result(r, '')
        else process.stdout.write(Buffer.from(r.value ?? '', 'base64'))
      })
    })
  dht.command('delete')
    .description(t('dht.delete.description'))
    .argument('<ref>', t('dht.argRef'))
    .action(async (ref: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      await withDht(g, out, async service => {
        const r = await service.delete(ref)
        out.result(r, t('dht.delete.done', { n: r.stored }))
      })
    })
}

/** `oht network create`: a new network key and its shared onion address. */
export function registerNetwork (program: Command): void {
  const network = program.command('network').description(t('network.description'))
  network.command('create')
    .description(t('network.create.description'))
    .action(async (_opts, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      const { createNetworkKey } = await import('../src/onion/network-key.ts')
      const key = createNetworkKey()
      out.result({ key: key.text, address: key.address }, t('network.created', { key: key.text, address: key.address }))
    })
}
