// How a name is written: `oht://name/<account>/<name>`, or `<account|petname>/<name>` where the
// part before the slash is an account id or the petname of a contact (resolved by the caller,
// which holds the address book).
import { isAccountId } from '../../node/identity/account-keys.ts'
import { checkName, NameError, type NameRecord } from './record.ts'
import type { NameRegistry } from './registry.ts'

export type NameReference =
  | { account: string, name: string }
  | { petname: string, name: string }

export const NAME_LINK_PREFIX = 'oht://name/'

/** The reference `text` writes, or null when it is not written as a name (an ordinary link, a path). Throws NameError on a bad name or name link. */
export function parseNameReference (text: string): NameReference | null {
  const s = text.trim()
  if (s.startsWith(NAME_LINK_PREFIX)) {
    const [account, name, ...rest] = s.slice(NAME_LINK_PREFIX.length).split('/')
    if (account == null || name == null || rest.length > 0 || !isAccountId(account.toLowerCase())) {
      throw new NameError('name.bad', `a name link is oht://name/<account id>/<name>, got ${JSON.stringify(s.slice(0, 120))}`)
    }
    return { account: account.toLowerCase(), name: checkName(name) }
  }
  if (s.includes('://') || s.startsWith('oht:')) return null
  const slash = s.lastIndexOf('/')
  if (slash <= 0 || slash === s.length - 1) return null
  const who = s.slice(0, slash)
  const name = checkName(s.slice(slash + 1))
  return isAccountId(who.toLowerCase()) ? { account: who.toLowerCase(), name } : { petname: who, name }
}

export const nameLink = (account: string, name: string): string => `${NAME_LINK_PREFIX}${account}/${name}`

/** Where petnames are looked up (the people layer's ContactBook). */
export interface PetnameBook { find: (petname: string) => Promise<{ account: string }> }

/** The record `ref` names, a petname looked up in `book` (none: a node without an account has no contacts). */
export async function resolveNameRef (names: NameRegistry, book: PetnameBook | undefined, ref: string, signal?: AbortSignal): Promise<NameRecord> {
  const r = parseNameReference(ref)
  if (r == null) throw new NameError('name.bad', `not a name: ${JSON.stringify(ref.slice(0, 80))} (write <account|petname>/<name> or oht://name/<account>/<name>)`)
  if ('account' in r) return await names.resolve(r.account, r.name, signal)
  if (book == null) throw new NameError('name.unknown', `no contact ${JSON.stringify(r.petname)}: this node runs for no account, so it has no contacts`)
  return await names.resolve((await book.find(r.petname)).account, r.name, signal)
}
