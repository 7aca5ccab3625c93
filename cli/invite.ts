// `oht send <path>...` and `oht receive <code>`: files to a person without contacts, by a short
// code (src/people/invite; docs/FORMAT.md "Invite codes"). The daemon holds the codes it opened.
import type { Command } from 'commander'
import { resolve } from 'node:path'
import type { InviteInfo, Offer } from '../src/people/invite/index.ts'
import type { NodeService } from '../src/node/index.ts'
import { daemonFor, makeOutput, withRuntime, type GlobalOptions, type Output } from './context.ts'
import { progressFor } from './progress.ts'
import { formatBytes, parseDuration } from './units.ts'
import { t } from './i18n/index.ts'
import { UsageError } from './exit.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

export function registerInvite (program: Command): void {
  program.command('send')
    .description(t('invite.send.description'))
    .argument('<path...>', t('invite.send.argPath'))
    .option('--expires <duration>', t('invite.send.optExpires'), '1h')
    .option('--name <name>', t('cli.share.optName'))
    .option('--wait', t('invite.send.optWait'))
    .option('--to <contact>', t('invite.send.optTo'))
    .addHelpText('after', t('invite.send.help'))
    .action(async (paths: string[], opts: { expires: string, name?: string, wait?: boolean, to?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      if (opts.to != null) {
        const daemon = await daemonFor(g)
        if (daemon == null) throw new Error(t('invite.send.noDaemon'))
        const r = await daemon.call('POST', '/people/send', { contact: opts.to, paths: paths.map(p => resolve(p)), ...(opts.name != null ? { name: opts.name } : {}) }) as { state: string, name: string, bytes: number }
        out.result(r, t(r.state === 'delivered' ? 'invite.send.toDelivered' : r.state === 'mailboxed' ? 'invite.send.toMailboxed' : 'invite.send.toQueued', { name: r.name, size: formatBytes(r.bytes), contact: opts.to }))
        return
      }
      let expiresMs: number
      try {
        expiresMs = parseDuration(opts.expires)
      } catch (err) {
        throw new UsageError('usage.badOption', (err as Error).message)
      }
      if (!(expiresMs >= 1000 && expiresMs <= 24 * 3600_000)) throw new UsageError('usage.badOption', t('invite.send.badExpires', { value: opts.expires }))
      const daemon = await daemonFor(g)
      if (daemon == null) throw new Error(t('invite.send.noDaemon'))
      const info = await daemon.call('POST', '/invites', { paths: paths.map(p => resolve(p)), expiresMs, ...(opts.name != null ? { name: opts.name } : {}) }) as InviteInfo
      const text = [t('invite.send.code', { code: info.code, name: info.name, size: formatBytes(info.bytes), expires: opts.expires }), t('invite.send.other', { code: info.code })].join('\n')
      if (opts.wait !== true) { out.result(info, text); return }
      out.info(text)
      const done = await daemon.call('GET', `/invites/${info.id}?wait=1`) as InviteInfo
      if (done.state !== 'used') throw new Error(t(`invite.closed.${done.state}`, { code: info.code }))
      out.result(done, t('invite.send.sent', { code: info.code }))
    })

  program.command('receive')
    .description(t('invite.receive.description'))
    .argument('[code]', t('invite.receive.argCode'))
    .option('-o, --output <dir>', t('cli.fetch.optOutput'), '.')
    .option('--force', t('cli.fetch.optForce'))
    .option('--from <contact>', t('invite.receive.optFrom'))
    .action(async (code: string | undefined, opts: { output: string, force?: boolean, from?: string }, cmd: Command) => {
      const g = globals(cmd)
      const out = makeOutput(g)
      if ((code == null) === (opts.from == null)) throw new UsageError('usage.badOption', t('invite.receive.codeOrFrom'))
      const { parseCode } = await import('../src/people/invite/code.ts')
      try {
        if (code != null) parseCode(code)
      } catch (err) {
        throw new UsageError('usage.badOption', (err as Error).message)
      }
      const fetchOffer = async (service: NodeService, offer: Offer): Promise<void> => {
        const { parseReadCap } = await import('../src/blocks/link.ts')
        out.info(t('invite.receive.got', { name: offer.name, size: formatBytes(offer.bytes) }))
        const progress = progressFor('fetching', out)
        const r = await service.fetch(parseReadCap(offer.link), { output: resolve(opts.output), peers: offer.peers, select: [], overwrite: opts.force === true }, e => {
          if (e.type === 'progress') progress.onProgress?.(e.bytesDone, e.bytesTotal)
        }).finally(progress.finish)
        out.result({ path: r.path, bytes: r.bytes, seconds: r.seconds, name: offer.name }, t('cli.fetch.done', { path: r.path, bytes: formatBytes(r.bytes), seconds: r.seconds.toFixed(2), peers: r.peers }))
      }
      if (code != null) { await receiveWith(g, out, code, fetchOffer); return }
      // Files a contact sent (oht send --to): each fetched as if its code had been given here.
      const daemon = await daemonFor(g)
      if (daemon == null) throw new Error(t('people.needsDaemon'))
      const { files } = await daemon.call('GET', `/people/files?contact=${encodeURIComponent(opts.from!)}`) as { files: Array<{ id: string, contact: string, file: Offer }> }
      if (files.length === 0) { out.result({ files: [] }, t('invite.receive.noFiles', { contact: opts.from! })); return }
      for (const f of files) {
        await fetchOffer(daemon, f.file)
        await daemon.call('POST', '/people/files/fetched', { contact: f.contact, id: f.id })
      }
    })
}

/** Through the daemon when one runs, else with a node in this process that uses the DHT as a client. */
async function receiveWith (g: GlobalOptions, out: Output, code: string, then: (service: NodeService, offer: Offer) => Promise<void>): Promise<void> {
  const daemon = await daemonFor(g)
  if (daemon != null) {
    const offer = await daemon.call('POST', '/invites/receive', { code }) as Offer
    await then(daemon, offer)
    return
  }
  await withRuntime(g, out, { network: true }, async runtime => {
    if (runtime.invites == null) throw new Error(t('invite.receive.noDht'))
    const offer = await runtime.invites.receive(code)
    await then(runtime.service, offer)
  })
}
