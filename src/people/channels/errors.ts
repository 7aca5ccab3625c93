import { PeopleError } from '../errors.ts'

export type ChannelErrorCode =
  | 'channel.bad' | 'channel.badPolicy' | 'channel.badCert' | 'channel.badEntry' | 'channel.tooLarge'
  | 'channel.unknown' | 'channel.notAllowed' | 'channel.noKey' | 'channel.noAccount' | 'channel.full'
  | 'channel.unreachable' | 'channel.protocol'

/** One error line for people (the message), one code for programs (the API and the other side of a sync). */
export class ChannelError extends PeopleError<ChannelErrorCode> {
  override name = 'ChannelError'
}
