// `oht name publish|resolve|list|rm`: names published under the daemon's account as signed,
// expiring DHT records the daemon republishes (src/people/names; README "Names"). Publishing
// needs the daemon (it republishes); resolving asks the daemon when one runs, else a node in this
// process that joins the DHT as a client (petnames: this data directory's contacts).
import type { Command } from 'commander'
import { daemonFor, makeOutput, withRuntime, type GlobalOptions, type Output } from './context.ts'
import { t } from './i18n/index.ts'
import type { NamesApiClient } from '../src/node/api/names-client.ts'
import type { NameRecord, PublishedName } from '../src/people/names/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

async function names (cmd: Command): Promise<NamesApiClient> {
  const daemon = await daemonFor(globals(cmd))
  if (daemon == null) throw new Error(t('names.needsDaemon'))
  const { NamesApiClient } = await import('../src/node/api/names-client.ts')
  return new NamesApiClient(daemon)
}

const when = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')

/** What `oht name publish` and the console's /name publish say. */
export const publishedText = (r: PublishedName): string =>
  t(r.stored > 0 ? 'names.publish.done' : 'names.publish.later', { name: r.name, expires: when(r.expires), nodes: r.stored })

/** What `oht name list` and the console's /name list print. */
export const listText = (list: readonly PublishedName[]): string =>
  list.length === 0 ? t('names.list.empty') : list.map(n => `${n.name}  ${n.target}  ${t('names.list.until', { expires: when(n.expires) })}`).join('\n')

export function registerNames (program: Command): void {
  const name = program.command('name')
    .description(t('names.description'))
    .addHelpText('after', t('names.help'))

  name.command('publish')
    .description(t('names.publish.description'))
    .argument('<name>', t('names.argName'))
    .argument('<target>', t('names.argTarget'))
    .action(async (n: string, target: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await names(cmd)).publish(n, target)
      out.result(r, publishedText(r))
    })

  name.command('resolve')
    .description(t('names.resolve.description'))
    .argument('<ref>', t('names.argRef'))
    .action(async (ref: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await resolveWith(globals(cmd), out, ref)
      out.result(r, r.target)
    })

  name.command('list')
    .description(t('names.list.description'))
    .action(async (_opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const list = await (await names(cmd)).list()
      out.result({ names: list }, listText(list))
    })

  name.command('rm')
    .description(t('names.rm.description'))
    .argument('<name>', t('names.argName'))
    .action(async (n: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const removed = await (await names(cmd)).remove(n)
      out.result({ name: n, removed }, t(removed ? 'names.rm.done' : 'names.rm.none', { name: n }))
    })
}

/** Through the daemon when one runs, else with a node in this process that uses the DHT as a client. */
async function resolveWith (g: GlobalOptions, out: Output, ref: string): Promise<NameRecord> {
  const daemon = await daemonFor(g)
  if (daemon != null) {
    const { NamesApiClient } = await import('../src/node/api/names-client.ts')
    return await new NamesApiClient(daemon).resolve(ref)
  }
  const { resolveNameRef } = await import('../src/people/names/reference.ts')
  const { ContactBook } = await import('../src/people/contacts/book.ts')
  return await withRuntime(g, out, { network: true }, async runtime => {
    if (runtime.names == null) throw new Error(t('names.noDht'))
    return await resolveNameRef(runtime.names, new ContactBook(runtime.node.state.db), ref)
  })
}

/**
 * `oht fetch`'s argument with a name resolved (oht://name/<account>/<name>, <account|petname>/<name>)
 * to the link it stands for; anything else is returned as given.
 */
export async function resolveNamedLink (g: GlobalOptions, out: Output, text: string): Promise<string> {
  const { parseNameReference } = await import('../src/people/names/reference.ts')
  if (parseNameReference(text) == null) return text
  return (await resolveWith(g, out, text)).target
}
