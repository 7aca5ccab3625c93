// The receiver's side: read the nameplate's record, dial the invite's endpoint, run the PAKE with
// the whole code as password, check the sender's confirmation, and open the sealed offer. Every
// failure is one InviteError naming what happened (wrong code, used, expired, ...).
import { createDecipheriv } from 'node:crypto'
import { nameplateHandle } from './caps.ts'
import { formatCode, type InviteCode } from './code.ts'
import type { InviteBoard } from './board.ts'
import type { Rendezvous } from './endpoint.ts'
import { closedError, InviteError, wrongCodeError } from './errors.ts'
import { Pake, tagsEqual } from './pake.ts'
import { decodeOffer, decodeRendezvous, InviteChannel, InviteWireError, type Offer, type RendezvousRecord } from './wire.ts'
import { EXCHANGE_TIMEOUT_MS } from './sender.ts'

export interface ReceiveOptions {
  board: InviteBoard
  rendezvous: Rendezvous
  signal?: AbortSignal
  now?: () => number
  exchangeTimeoutMs?: number
}

export async function receiveInvite (code: InviteCode, options: ReceiveOptions): Promise<Offer> {
  const text = formatCode(code)
  const now = options.now ?? Date.now
  const found = await options.board.get(nameplateHandle(code.nameplate), options.signal)
  let record: RendezvousRecord | undefined
  try {
    if (found != null) record = decodeRendezvous(found)
  } catch {}
  if (record == null) throw new InviteError('invite.notFound', `no invite found for ${text}: it is mistyped, has expired, or its sender has stopped`, { code: text })
  if (record.kind === 'closed') throw closedError(record.reason, text)
  if (now() >= record.expiresAt) throw closedError('expired', text)

  let stream
  try {
    stream = await options.rendezvous.dial(record.address, options.signal)
  } catch (err) {
    throw new InviteError('invite.unreachable', `the sender of ${text} is not reachable (${(err as Error).message}); the code may just have closed, or the sender has stopped`, { code: text })
  }
  const channel = new InviteChannel(stream, options.exchangeTimeoutMs ?? EXCHANGE_TIMEOUT_MS)
  try {
    const pake = new Pake('receiver', new TextEncoder().encode(text), record.sid)
    await channel.send({ t: 'hello', y: pake.share })
    const answer = await channel.receive()
    if (answer.t === 'refuse') throw closedError(answer.r, text)
    if (answer.t !== 'pake') throw new InviteWireError(`unexpected ${answer.t} message`)
    const keys = pake.finish(answer.y)
    // Sent even when the sender's tag is wrong: the sender then closes the code before it
    // answers, so once this fails the code is closed for everyone.
    await channel.send({ t: 'confirm', c: keys.receiverConfirm })
    const last = await channel.receive().catch((err: unknown) => { if (!tagsEqual(answer.c, keys.senderConfirm)) return null; throw err })
    if (!tagsEqual(answer.c, keys.senderConfirm)) throw wrongCodeError(text)
    if (last == null) throw new InviteWireError('the sender closed the exchange')
    if (last.t === 'refuse') throw last.r === 'wrong-code' ? wrongCodeError(text) : closedError(last.r, text)
    if (last.t !== 'offer' || last.b.length < 16) throw new InviteWireError('the sender sent no offer')
    let plain: Buffer
    try {
      const decipher = createDecipheriv('aes-256-gcm', keys.offerKey, last.n)
      decipher.setAAD(keys.transcript)
      decipher.setAuthTag(last.b.subarray(last.b.length - 16))
      plain = Buffer.concat([decipher.update(last.b.subarray(0, last.b.length - 16)), decipher.final()])
    } catch {
      throw new InviteWireError('the sealed offer does not open')
    }
    return decodeOffer(plain)
  } catch (err) {
    if (err instanceof InviteError) throw err
    throw new InviteError('invite.protocol', `the exchange for ${text} failed: ${(err as Error).message}`, { code: text })
  } finally {
    channel.close()
  }
}
