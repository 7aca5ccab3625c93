// The ways an invite fails, each with a stable code (`invite.*`) and one clear English line.
import type { ClosedReason } from './wire.ts'

export type InviteErrorCode =
  | 'invite.badCode' | 'invite.notFound' | 'invite.wrongCode' | 'invite.used' | 'invite.closedWrongCode'
  | 'invite.expired' | 'invite.cancelled' | 'invite.busy' | 'invite.unreachable' | 'invite.protocol'
  | 'invite.badExpiry' | 'invite.noNameplate' | 'invite.unknown'

export class InviteError extends Error {
  override name = 'InviteError'
  readonly code: InviteErrorCode
  readonly params: Record<string, string>
  constructor (code: InviteErrorCode, message: string, params: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.params = params
  }
}

const ASK = 'ask the sender for a new one'

/** The error a receiver reports for a code the sender closed (from the DHT notice or a refusal). */
export function closedError (reason: ClosedReason | 'busy', code: string): InviteError {
  switch (reason) {
    case 'used': return new InviteError('invite.used', `the code ${code} was already used; ${ASK}`, { code })
    case 'wrong-code': return new InviteError('invite.closedWrongCode', `the code ${code} was closed after a wrong guess; ${ASK}`, { code })
    case 'expired': return new InviteError('invite.expired', `the code ${code} has expired; ${ASK}`, { code })
    case 'cancelled': return new InviteError('invite.cancelled', `the sender cancelled the code ${code}`, { code })
    case 'busy': return new InviteError('invite.busy', `someone else is trying the code ${code} right now; try again in a minute`, { code })
  }
}

export function wrongCodeError (code: string): InviteError {
  return new InviteError('invite.wrongCode', `wrong code: ${code} does not match the sender's (the code is now closed; ${ASK})`, { code })
}
