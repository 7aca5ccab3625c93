// /v0/people: contacts and whispers of the account the daemon runs for (src/people; README
// "Contacts and whispers"). GET /v0/people, GET /v0/people/messages?contact=; POST
// /v0/people/request|accept|reject|add|rm|whisper|contactcast|mailbox|introduce|files/fetched|autofetch
// with a JSON object body, GET /v0/people/files?contact= (files sent by contacts, not fetched yet).
// Events on the WebSocket: contact-request, contact-accepted, message, receipt, contact-online,
// contact-offline, mailbox-ready, introduction, file-offered.
import { contactcast, type People } from '../../people/index.ts'
import { API_VERSION } from './protocol.ts'
import { HttpError, objectBody, str, type RouteTable } from './http.ts'

export const PEOPLE_PATH = `/${API_VERSION}/people`

const opt = (b: Record<string, unknown>, k: string): string | undefined => {
  const v = b[k]
  if (v == null) return undefined
  if (typeof v !== 'string') throw new Error(`${k} must be a string`)
  return v
}

export function registerPeopleRoutes (api: RouteTable, people: People | undefined): void {
  const need = (): People => {
    if (people == null) throw new HttpError(409, 'this daemon runs for no account: create one (oht account create), then restart the daemon (oht daemon --account <id> when there are several)')
    return people
  }
  const post = (name: string, fn: (p: People, b: Record<string, unknown>) => Promise<unknown>): void => {
    api.route('POST', `${PEOPLE_PATH}/${name}`, async ctx => ({ body: await fn(need(), await objectBody(ctx)) }))
  }
  api.route('GET', PEOPLE_PATH, async () => {
    const p = need()
    return { body: { account: p.account, contacts: await p.contacts(), requests: await p.requests(), introductions: await p.introductions() } }
  })
  api.route('GET', `${PEOPLE_PATH}/messages`, async ({ query }) => ({ body: await need().messages(query.get('contact') ?? '') }))
  post('request', async (p, b) => {
    const petname = opt(b, 'petname')
    const address = opt(b, 'address')
    return await p.request(str(b, 'account'), opt(b, 'message') ?? '', { ...(petname != null ? { petname } : {}), ...(address != null ? { address } : {}) })
  })
  post('accept', async (p, b) => await p.accept(str(b, 'account'), opt(b, 'petname')))
  post('reject', async (p, b) => await p.reject(str(b, 'account')))
  post('add', async (p, b) => ({ contact: await p.add(str(b, 'account'), str(b, 'petname'), opt(b, 'address')) }))
  post('rm', async (p, b) => await p.remove(str(b, 'contact'), b.block === true))
  post('whisper', async (p, b) => await p.whisper(str(b, 'contact'), str(b, 'text')))
  post('mailbox', async p => ({ received: await p.collect() }))
  api.route('GET', `${PEOPLE_PATH}/files`, async ({ query }) => ({ body: { files: await need().pendingFiles(query.get('contact') ?? undefined) } }))
  post('files/fetched', async (p, b) => { await p.fileFetched(str(b, 'contact'), str(b, 'id')); return { fetched: true } })
  post('autofetch', async (p, b) => ({ contact: await p.setAutoFetch(str(b, 'contact'), b.on === true) }))
  post('introduce', async (p, b) => await p.introduce(str(b, 'contact'), str(b, 'to')))
  post('contactcast', async (p, b) => ({ results: await contactcast(p, str(b, 'text')) }))
}
