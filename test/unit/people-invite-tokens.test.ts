// Contact-invite tokens (src/people/contacts/invite-tokens.ts): single use, valid until the code's
// expiry plus the grace, unknown ones refused; the wire takes only a well-formed token.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { INVITE_TOKEN_GRACE_MS, InviteTokens, parsePayload, PeopleProtocolError } from '../../src/people/index.ts'

const NOW = 1_800_000_000_000

describe('contact-invite tokens', () => {
  it('a token works once, with the petname it was issued with', () => {
    const tokens = new InviteTokens(() => NOW)
    const t = tokens.issue({ petname: 'bob', expiresAt: NOW + 1000 })
    assert.match(t, /^[A-Za-z0-9_-]{22}$/)
    assert.equal(tokens.take(t)?.petname, 'bob')
    assert.equal(tokens.take(t), undefined, 'used')
    assert.equal(tokens.take('A'.repeat(22)), undefined, 'unknown')
  })

  it('a token expires with its code, after the grace', () => {
    const clock = { now: NOW }
    const tokens = new InviteTokens(() => clock.now)
    const a = tokens.issue({ expiresAt: NOW + 1000 })
    const b = tokens.issue({ expiresAt: NOW + 1000 })
    clock.now = NOW + 1000 + INVITE_TOKEN_GRACE_MS - 1
    assert.notEqual(tokens.take(a), undefined, 'within the grace')
    clock.now = NOW + 1000 + INVITE_TOKEN_GRACE_MS
    assert.equal(tokens.take(b), undefined, 'expired')
  })

  it('a request carries only a well-formed token', () => {
    const enc = (p: unknown): Uint8Array => Buffer.from(JSON.stringify(p))
    assert.equal(parsePayload(enc({ k: 'request', id: 'r', text: '', invite: 'A'.repeat(22) })).k, 'request')
    for (const invite of ['short', 'A'.repeat(23), 5, 'A'.repeat(21) + '/']) {
      assert.throws(() => parsePayload(enc({ k: 'request', id: 'r', text: '', invite })), (e: Error) => e instanceof PeopleProtocolError && e.code === 'bad-frame', String(invite))
    }
  })
})
