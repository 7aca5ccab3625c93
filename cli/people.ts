// `oht contact request|accept|reject|add|rm|list|invite|introduce|autofetch|mailbox` and `oht whisper`: contacts under petnames and
// end-to-end encrypted messages, served by the daemon for its account (src/people; README
// "Contacts and whispers"). These talk to the daemon only: a contact must be reachable while the
// command is not running.
import type { Command } from 'commander'
import { daemonFor, makeOutput, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'
import { parseDuration } from './units.ts'
import { UsageError } from './exit.ts'
import type { PeopleApiClient, PeopleOverview } from '../src/node/api/people-client.ts'
import type { ContactcastResult, StoredMessage } from '../src/people/index.ts'

function globals (cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>()
}

async function people (cmd: Command): Promise<PeopleApiClient> {
  const daemon = await daemonFor(globals(cmd))
  if (daemon == null) throw new Error(t('people.needsDaemon'))
  const { PeopleApiClient } = await import('../src/node/api/people-client.ts')
  return new PeopleApiClient(daemon)
}

const short = (account: string): string => `${account.slice(0, 12)}…`

export function registerPeople (program: Command): void {
  const contact = program.command('contact')
    .description(t('people.contact.description'))
    .addHelpText('after', t('people.contact.help'))

  contact.command('request')
    .description(t('people.request.description'))
    .argument('<account>', t('people.argAccount'))
    .argument('[message]', t('people.request.argMessage'), '')
    .option('--name <petname>', t('people.optName'))
    .option('--address <address>', t('people.optAddress'))
    .action(async (account: string, message: string, opts: { name?: string, address?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).request(account, message, { ...(opts.name != null ? { petname: opts.name } : {}), ...(opts.address != null ? { address: opts.address } : {}) })
      out.result(r, t('people.request.done', { name: r.contact.petname }))
    })

  contact.command('accept')
    .description(t('people.accept.description'))
    .argument('<account>', t('people.argRequest'))
    .option('--name <petname>', t('people.optName'))
    .action(async (account: string, opts: { name?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).accept(account, opts.name)
      out.result(r, t(r.delivered ? 'people.accept.done' : 'people.accept.queued', { name: r.contact.petname }))
    })

  contact.command('reject')
    .description(t('people.reject.description'))
    .argument('<account>', t('people.argRequest'))
    .action(async (account: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).reject(account)
      out.result(r, t('people.reject.done', { account: short(r.account) }))
    })

  contact.command('add')
    .description(t('people.add.description'))
    .argument('<account>', t('people.argAccount'))
    .argument('<petname>', t('people.argPetname'))
    .option('--address <address>', t('people.optAddress'))
    .action(async (account: string, petname: string, opts: { address?: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).add(account, petname, opts.address)
      out.result(r, t('people.add.done', { name: r.contact.petname }))
    })

  contact.command('rm')
    .description(t('people.rm.description'))
    .argument('<contact>', t('people.argContact'))
    .option('--block', t('people.rm.optBlock'))
    .action(async (name: string, opts: { block?: boolean }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).remove(name, opts.block === true)
      out.result(r, t(opts.block === true ? 'people.rm.blocked' : 'people.rm.done', { name: r.petname }))
    })

  contact.command('list')
    .description(t('people.list.description'))
    .action(async (_opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const o = await (await people(cmd)).overview()
      out.result(o, contactListLines(o).join('\n'))
    })

  program.command('contactcast')
    .description(t('contacts.cast.description'))
    .argument('<message...>', t('people.whisper.argMessage'))
    .addHelpText('after', t('contacts.cast.help'))
    .action(async (words: string[], _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).contactcast(words.join(' '))
      out.result(r, contactcastLines(r.results).join('\n'))
    })

  contact.command('invite')
    .description(t('people.invite.description'))
    .argument('[code]', t('people.invite.argCode'))
    .option('--name <petname>', t('people.optName'))
    .option('--expires <duration>', t('people.invite.optExpires'), '1h')
    .addHelpText('after', t('people.invite.help'))
    .action(async (code: string | undefined, opts: { name?: string, expires: string }, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const client = await people(cmd)
      if (code != null) {
        const r = await client.acceptInvite(code, opts.name)
        out.result(r, t('people.invite.added', { name: r.contact.petname }))
        return
      }
      let expiresMs = NaN
      try { expiresMs = parseDuration(opts.expires) } catch {}
      if (!(expiresMs >= 1000 && expiresMs <= 24 * 3600_000)) throw new UsageError('usage.badOption', t('invite.send.badExpires', { value: opts.expires }))
      const info = await client.openInvite({ expiresMs, ...(opts.name != null ? { petname: opts.name } : {}) })
      out.result(info, t('people.invite.code', { code: info.code, expires: opts.expires }))
    })

  contact.command('introduce')
    .description(t('people.introduce.description'))
    .argument('<contact>', t('people.argContact'))
    .argument('<to-contact>', t('people.introduce.argTo'))
    .action(async (name: string, to: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).introduce(name, to)
      out.result(r, t('people.introduce.done', { a: r.introduced, b: r.to }))
    })

  contact.command('autofetch')
    .description(t('people.autofetch.description'))
    .argument('<contact>', t('people.argContact'))
    .argument('<on|off>', t('people.autofetch.argOnOff'))
    .action(async (name: string, value: string, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      if (value !== 'on' && value !== 'off') throw new UsageError('usage.badOption', t('people.autofetch.badValue', { value }))
      const r = await (await people(cmd)).setAutoFetch(name, value === 'on')
      out.result(r, t(value === 'on' ? 'people.autofetch.on' : 'people.autofetch.off', { name: r.contact.petname }))
    })

  contact.command('mailbox')
    .description(t('people.mailbox.description'))
    .action(async (_opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const r = await (await people(cmd)).checkMailbox()
      out.result(r, t('people.mailbox.done', { n: r.received }))
    })

  program.command('whisper')
    .description(t('people.whisper.description'))
    .argument('<contact>', t('people.argContact'))
    .argument('[message]', t('people.whisper.argMessage'))
    .addHelpText('after', t('people.whisper.help'))
    .action(async (name: string, message: string | undefined, _opts, cmd: Command) => {
      const out = makeOutput(globals(cmd))
      const client = await people(cmd)
      if (message == null) {
        const log = await client.messages(name)
        out.result(log, conversationLines(log).join('\n'))
        return
      }
      const r = await client.whisper(name, message)
      out.result(r, t(r.state === 'delivered' ? 'people.whisper.delivered' : r.state === 'mailboxed' ? 'people.whisper.mailboxed' : 'people.whisper.queued', { name }))
    })
}

/** One line per contact of a contactcast: delivered, queued, or why not. */
export function contactcastLines (results: readonly ContactcastResult[]): string[] {
  return results.map(r => t(`contacts.cast.${r.state}`, { name: r.contact, reason: r.reason ?? '' }))
}

/** `oht contact list` and the console's /contacts: the account, each contact with its state, the waiting requests. */
export function contactListLines (o: PeopleOverview): string[] {
  const lines = [t('people.list.account', { id: o.account })]
  if (o.contacts.length === 0) lines.push(t('people.list.none'))
  const via = (name: string | null): string => name != null ? `  ${t('people.list.via', { name: printable(name) })}` : ''
  for (const c of o.contacts) {
    const state = c.state === 'requested' ? t('people.list.requested') : c.online ? t('people.list.online') : t('people.list.offline')
    lines.push(`${c.petname}  ${state}  ${short(c.account)}${via(c.viaName)}`)
  }
  if (o.requests.length > 0) lines.push(t('people.list.requests', { n: o.requests.length }))
  // A request is shown by its account id; its message is the requester's words, quoted.
  for (const r of o.requests) lines.push(`  ${r.account}${r.text !== '' ? `  ${JSON.stringify(printable(r.text))}` : ''}${via(r.viaName)}`)
  if (o.introductions.length > 0) lines.push(t('people.list.introductions', { n: o.introductions.length }))
  for (const i of o.introductions) lines.push(`  ${i.account}${via(i.viaName)}`)
  return lines
}

/** A conversation, oldest first: time, who, text (and a mark on what is not delivered yet). */
export function conversationLines (log: { contact: string, messages: StoredMessage[] }): string[] {
  if (log.messages.length === 0) return [t('people.whisper.empty', { name: log.contact })]
  return log.messages.map(m => `${new Date(m.at).toISOString().slice(0, 19).replace('T', ' ')}  ${m.direction === 'in' ? log.contact : t('people.whisper.me')}: ${m.file != null ? t('people.whisper.file', { name: printable(m.text), fetched: m.direction === 'in' && m.file.fetched !== true ? 'no' : 'yes' }) : printable(m.text)}${m.direction === 'out' && (m.state === 'queued' || m.state === 'mailboxed') ? `  (${t('people.whisper.queuedMark')})` : ''}`)
}

/**
 * Another person's words made safe for a terminal: control characters (C0, DEL, C1: escape
 * sequences, carriage returns) shown as U+FFFD, line breaks as ⏎, so a message is one line and
 * cannot move the cursor or recolour the screen.
 */
export function printable (text: string): string {
  return text.replace(/\r?\n/g, ' ⏎ ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\ufffd') // eslint-disable-line no-control-regex
}
