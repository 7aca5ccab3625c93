// How a name is written: `oht://name/<account>/<name>`, or `<account|petname>/<name>` where the
// part before the slash is an account id or the petname of a contact (resolved by the caller,
// which holds the address book).
import { isAccountId } from '../../node/identity/account-keys.ts'
import { checkName } from './record.ts'

export type NameReference =
  | { account: string, name: string }
  | { petname: string, name: string }

export const NAME_LINK_PREFIX = 'oht://name/'

/** The reference `text` writes, or null when it is not written as a name (an ordinary link, a path). Throws NameError on a bad name. */
export function parseNameReference (text: string): NameReference | null {
  const s = text.trim()
  if (s.startsWith(NAME_LINK_PREFIX)) {
    const [account, name, ...rest] = s.slice(NAME_LINK_PREFIX.length).split('/')
    if (account == null || name == null || rest.length > 0 || !isAccountId(account.toLowerCase())) return null
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
