// Which SOCKS failures a Tor dial tries again (src/onion/tor/socks.ts mayRetryDial): a dead peer's
// "introduction failed" is retried once, not until the dial timeout (seconds per DHT contact that
// left, over Tor). Pure: the errors are made here as socksConnect makes them from tor's replies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mayRetryDial, SocksDialError, SOCKS_REPLY_INTRODUCTION_FAILED } from '../../src/onion/tor/socks.ts'
import { TOR_DIAL_OFFLINE_RETRIES } from '../../src/onion/tor/constants.ts'
import { DialError } from '../../src/onion/transport.ts'

const address = 'onion:example.onion:4001'
const socks = (reply: number, retryable: boolean): SocksDialError => new SocksDialError(address, { code: 'unreachable', retryable, why: 'test' }, reply)

test('"introduction failed" (0xF2) is retried TOR_DIAL_OFFLINE_RETRIES times, then the dial fails', () => {
  const offline = socks(SOCKS_REPLY_INTRODUCTION_FAILED, true)
  let answers = 0
  let tries = 0
  while (true) {
    tries++
    answers++
    if (!mayRetryDial(offline, answers, TOR_DIAL_OFFLINE_RETRIES)) break
    assert.ok(tries < 100, 'a dial to an offline service must end')
  }
  assert.equal(tries, TOR_DIAL_OFFLINE_RETRIES + 1)
  assert.equal(TOR_DIAL_OFFLINE_RETRIES, 1)
})

test('other retryable replies keep retrying (the dial deadline bounds them); others never', () => {
  assert.equal(mayRetryDial(socks(0xF0, true), 5, TOR_DIAL_OFFLINE_RETRIES), true, 'descriptor not found yet: retried')
  assert.equal(mayRetryDial(socks(0xF7, true), 5, TOR_DIAL_OFFLINE_RETRIES), true, 'introduction timed out: retried')
  assert.equal(mayRetryDial(socks(0xF6, false), 0, TOR_DIAL_OFFLINE_RETRIES), false, 'bad address: never')
  assert.equal(mayRetryDial(new DialError(address, 'failed', 'not SOCKS'), 0, TOR_DIAL_OFFLINE_RETRIES), false)
  assert.equal(mayRetryDial(new Error('x'), 0, TOR_DIAL_OFFLINE_RETRIES), false)
})
