// Channels' core (src/people/channels): logs, merge order, delegation chains, policy, read keys,
// and the refusals every member must make the same way.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { accountIdOf } from '../../src/node/identity/account-keys.ts'
import {
  append, buildView, createChannel, DEFAULT_POLICY, parsePolicy, readDescriptor, signCert, signEntry, writeContent,
  writeGrant, writeLeave, writeRevoke, writeRotation, ChannelError, MAX_ENTRY_CHARS, type ChannelView, type Writer, type Policy
} from '../../src/people/channels/index.ts'

const account = (): Writer => { const { privateKey } = generateKeyPairSync('ed25519'); return { id: accountIdOf(privateKey), privateKey } }
const LINK = 'oht://bafyreig376r6shtdf5f6ih64n2rk673ghep6hgvuzjy5nw2lwmn5kjuww4#' + 'A'.repeat(43)
const T0 = 1_800_000_000_000
const DAY = 86_400_000

/** A channel with its entries held in one array (as if every member had synced everything). */
function world (priv: boolean, policy: Policy = DEFAULT_POLICY): { owner: Writer, entries: string[], view: (who?: Writer, now?: number) => ChannelView, id: string } {
  const owner = account()
  const c = createChannel(owner, { name: 'films', private: priv, policy, now: T0 })
  const entries = [...c.entries]
  return { owner, entries, id: c.id, view: (who, now = T0 + DAY) => buildView(c.descriptor, entries, { ...(who != null ? { account: who } : {}), now }) }
}

test('a public channel: grants, posts, shares, edits and deletions merge to the same view from any order', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'hello' }, T0 + 10))
  w.entries.push(writeContent(w.view(w.owner), w.owner, { k: 'share', link: LINK, title: 'Film', size: 1234 }, T0 + 20))
  const first = w.view(bob).posts[0]!
  w.entries.push(writeContent(w.view(bob), bob, { k: 'edit', target: first.id, text: 'hello, edited' }, T0 + 30))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'gone soon' }, T0 + 40))
  const gone = w.view(bob).posts.at(-1)!
  w.entries.push(writeContent(w.view(w.owner), w.owner, { k: 'delete', target: gone.id }, T0 + 50)) // the owner moderates
  const v = w.view()
  assert.deepEqual(v.refused, [])
  assert.deepEqual(v.posts.map(p => [p.kind, p.text ?? p.title, p.deleted === true]), [['post', 'hello, edited', false], ['share', 'Film', false], ['post', undefined, true]])
  assert.equal(v.posts[0]!.editedAt, T0 + 30)
  assert.deepEqual(v.members.map(m => m.role).sort(), ['owner', 'writer'])
  const reversed = buildView(v.descriptor, [...w.entries].reverse(), { now: T0 + DAY })
  assert.deepEqual(reversed.posts, v.posts)
  assert.deepEqual(reversed.heads, v.heads)
})

test('a forged post, a post by someone never granted, and an edited entry are refused', () => {
  const w = world(false)
  const bob = account()
  const mallory = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  const good = writeContent(w.view(bob), bob, { k: 'post', text: 'mine' }, T0 + 2)
  // Mallory copies Bob's chain and signs with her own key: the chain names another account.
  const stolen = signEntry(mallory.privateKey, { ch: w.id, author: mallory.id, seq: 0, prev: null, at: T0 + 3, chain: w.view(bob).authority!.chain, body: { k: 'post', text: 'spoof' } })
  // Mallory writes in Bob's name: the signature is not Bob's.
  const [body, sig] = good.split('.')
  const json = JSON.parse(Buffer.from(body!, 'base64url').toString()) as { body: { text: string } }
  json.body.text = 'not what bob said'
  const edited = Buffer.from(JSON.stringify(json)).toString('base64url') + '.' + sig!
  w.entries.push(stolen, edited)
  const v = w.view()
  assert.deepEqual(v.posts, [])
  assert.ok(v.refused.some(r => r.author === mallory.id && /names another account/.test(r.reason)), JSON.stringify(v.refused))
  assert.ok(v.refused.some(r => /forged/.test(r.reason)))
  assert.throws(() => writeContent(w.view(mallory), mallory, { k: 'post', text: 'x' }), (e: ChannelError) => e.code === 'channel.notAllowed')
})

test('an expired writer certificate: its posts after expiry are refused, before it they stand', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { days: 1, now: T0 + 1 }))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'in time' }, T0 + 2))
  assert.throws(() => writeContent(w.view(bob), bob, { k: 'post', text: 'late' }, T0 + 2 * DAY), /expired/)
  // A writer that signs anyway (its own clock, a patched node): refused by every reader.
  const v0 = w.view(bob)
  const late = signEntry(bob.privateKey, { ch: w.id, author: bob.id, seq: 1, prev: v0.heads[bob.id]!.id, at: T0 + 2 * DAY, chain: v0.authority!.chain, body: { k: 'post', text: 'late' } })
  w.entries.push(late)
  const v = w.view(undefined, T0 + 3 * DAY)
  assert.deepEqual(v.posts.map(p => p.text), ['in time'])
  assert.ok(v.refused.some(r => r.reason === 'expired'))
  assert.ok(!v.members.some(m => m.account === bob.id), 'an expired member is not listed')
})

test('a revoked writer: posts from its revocation on are refused by all; a writer may not revoke, a moderator may', () => {
  const w = world(false)
  const bob = account()
  const mod = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, mod.id, 'moderator', { now: T0 + 1 }))
  w.entries.push(writeGrant(w.view(mod), mod, bob.id, 'writer', { now: T0 + 2 }))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'before' }, T0 + 3))
  assert.throws(() => writeRevoke(w.view(bob), bob, mod.id), (e: ChannelError) => e.code === 'channel.notAllowed')
  const bobView = w.view(bob) // Bob has not seen the revocation yet
  w.entries.push(writeRevoke(w.view(w.owner), w.owner, bob.id, T0 + 4))
  w.entries.push(writeContent(bobView, bob, { k: 'post', text: 'after' }, T0 + 5))
  // Bob backdates: the cut is by his log position, not his clock.
  const v = w.view()
  assert.deepEqual(v.posts.map(p => p.text), ['before'])
  assert.ok(v.refused.some(r => r.author === bob.id && /revoked/.test(r.reason)))
  assert.ok(!v.members.some(m => m.account === bob.id))
  assert.throws(() => writeContent(w.view(bob), bob, { k: 'post', text: 'again' }), (e: ChannelError) => e.code === 'channel.notAllowed')
})

test('delegation: scope and roles follow the policy; a writer cannot invite, a moderator cannot make a moderator', () => {
  const w = world(false)
  const mod = account()
  const bob = account()
  const eve = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, mod.id, 'moderator', { now: T0 + 1 }))
  assert.throws(() => writeGrant(w.view(mod), mod, eve.id, 'moderator'), /may not hand out the role moderator/)
  w.entries.push(writeGrant(w.view(mod), mod, bob.id, 'writer', { now: T0 + 2 }))
  assert.throws(() => writeGrant(w.view(bob), bob, eve.id, 'writer'), /may not invite/)
  // Bob signs a certificate anyway: the grant is refused and Eve's posts with it too.
  const v = w.view(bob)
  const cert = signCert(bob.privateKey, { v: 1, ch: w.id, iss: bob.id, sub: eve.id, role: 'writer', scope: ['post'], nb: T0, exp: T0 + DAY })
  w.entries.push(append(v, bob, { k: 'grant', cert }, T0 + 3))
  w.entries.push(signEntry(eve.privateKey, { ch: w.id, author: eve.id, seq: 0, prev: null, at: T0 + 4, chain: [...v.authority!.chain, cert], body: { k: 'post', text: 'eve' } }))
  const after = w.view()
  assert.ok(after.refused.some(r => /refused grant: .*may not invite/.test(r.reason)))
  assert.ok(after.refused.some(r => r.author === eve.id && /may not invite/.test(r.reason)))
  assert.deepEqual(after.posts, [])
  // A reader may not post at all.
  const rita = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, rita.id, 'reader', { now: T0 + 5 }))
  assert.throws(() => writeContent(w.view(rita), rita, { k: 'post', text: 'x' }), /may not post/)
})

test('grants the policy does not allow, signed anyway, are refused when read, and so are their holders\' posts', () => {
  const w = world(false)
  const mod = account()
  const eve = account()
  const frank = account()
  const gina = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, mod.id, 'moderator', { now: T0 + 1 }))
  // Each certificate passes the chain's own checks (the issuer may invite; the scope is within
  // the issuer's; it ends before the issuer's): only the policy (grantProblem) refuses it.
  const grants = [
    { by: mod, to: eve, role: 'moderator', scope: ['post'], exp: T0 + DAY, why: /a moderator may not hand out the role moderator/ },
    { by: w.owner, to: frank, role: 'writer', scope: ['post', 'moderate'], exp: T0 + DAY, why: /the role writer may not moderate/ },
    { by: w.owner, to: gina, role: 'writer', scope: ['post'], exp: T0 + 200 * DAY, why: /a writer certificate lives at most 90 days/ }
  ] as const
  let at = T0 + 2
  for (const g of grants) {
    const v = w.view(g.by)
    const cert = signCert(g.by.privateKey, { v: 1, ch: w.id, iss: g.by.id, sub: g.to.id, role: g.role, scope: [...g.scope], nb: T0, exp: g.exp })
    w.entries.push(append(v, g.by, { k: 'grant', cert }, at++))
    w.entries.push(signEntry(g.to.privateKey, { ch: w.id, author: g.to.id, seq: 0, prev: null, at: at++, chain: [...v.authority!.chain, cert], body: { k: 'post', text: g.to.id } }))
  }
  const after = w.view(undefined, T0 + 2 * DAY - 1000)
  assert.deepEqual(after.posts, [], JSON.stringify(after.posts))
  for (const g of grants) {
    assert.ok(after.refused.some(r => /refused grant/.test(r.reason) && g.why.test(r.reason)), `${g.role} ${g.scope.join('+')}: ${JSON.stringify(after.refused)}`)
    assert.ok(after.refused.some(r => r.author === g.to.id && g.why.test(r.reason)), `the post of ${g.role} ${g.scope.join('+')}: ${JSON.stringify(after.refused)}`)
  }
})

test('the policy limits kinds and text length per role, and is checked when read', () => {
  const policy = parsePolicy('{"v":1,"roles":{"writer":{"may":["post"],"maxDays":7,"kinds":["share"],"maxTextBytes":10}}}')
  const w = world(false, policy)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  assert.equal(w.view().members.find(m => m.account === bob.id)!.exp, T0 + 1 + 7 * DAY)
  w.entries.push(append(w.view(bob), bob, { k: 'post', text: 'a text post' }, T0 + 2))
  w.entries.push(append(w.view(bob), bob, { k: 'share', link: LINK, title: 'ok', size: 1 }, T0 + 3))
  const v = w.view()
  assert.deepEqual(v.posts.map(p => p.kind), ['share'])
  assert.ok(v.refused.some(r => r.reason === 'a writer may not write a post'))
  assert.throws(() => writeGrant(w.view(w.owner), w.owner, account().id, 'writer', { days: 8 }), /at most 7 days/)
  for (const [text, why] of [
    ['{', /not JSON/], ['{"v":2,"roles":{}}', /"v" must be 1/], ['{"v":1,"roles":{"owner":{"may":[],"maxDays":1}}}', /not "owner"/],
    ['{"v":1,"roles":{"w":{"may":["fly"],"maxDays":1}}}', /w.may is a list/], ['{"v":1,"roles":{"w":{"may":[],"maxDays":0}}}', /maxDays/],
    ['{"v":1,"roles":{"w":{"may":[],"maxDays":1,"grants":["x"]}}}', /grants lists roles/], ['{"v":1,"roles":{"w":{"may":[],"maxDays":1,"eval":"1"}}}', /unknown field "eval"/]
  ] as const) assert.throws(() => parsePolicy(text), (e: ChannelError) => e.code === 'channel.badPolicy' && why.test(e.message), text)
})

test('a private channel: members read, a removed member cannot read what follows, a new member reads the history', () => {
  const w = world(true)
  const bob = account()
  const carol = account()
  const outsider = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  w.entries.push(writeGrant(w.view(w.owner), w.owner, carol.id, 'writer', { now: T0 + 2 }))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'for all three' }, T0 + 3))
  assert.deepEqual(w.view(carol).posts.map(p => p.text), ['for all three'])
  assert.deepEqual(w.view(outsider).posts.map(p => p.unreadable), [true], 'the id alone does not read a private channel')
  assert.ok(!w.entries.some(e => Buffer.from(e.split('.')[0]!, 'base64url').toString().includes('for all three')), 'no post in clear')
  // Carol is removed: revocation, then a new key sealed to the others.
  w.entries.push(writeRevoke(w.view(w.owner), w.owner, carol.id, T0 + 4))
  w.entries.push(writeRotation(w.view(w.owner), w.owner, [carol.id], T0 + 5))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'after carol' }, T0 + 6))
  assert.deepEqual(w.view(bob).posts.map(p => p.text), ['for all three', 'after carol'])
  assert.deepEqual(w.view(carol).posts.map(p => p.text ?? 'UNREADABLE'), ['for all three', 'UNREADABLE'])
  assert.throws(() => writeContent(w.view(carol), carol, { k: 'post', text: 'x' }), (e: ChannelError) => e.code === 'channel.notAllowed')
  // Dave joins later: the grant seals him the current key, which unwraps the older ones.
  const dave = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, dave.id, 'writer', { now: T0 + 7 }))
  assert.deepEqual(w.view(dave).posts.map(p => p.text), ['for all three', 'after carol'])
  // A post in clear, or a sealed body altered, is refused.
  w.entries.push(append(w.view(bob), bob, { k: 'post', text: 'clear' }, T0 + 8))
  const v = w.view(bob)
  assert.ok(v.refused.some(r => /in clear in a private channel/.test(r.reason)))
})

test('a log fork, a reordered log and a gap are detected; the rest of the log waits or stops there', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  const base = w.view(bob)
  const a = writeContent(base, bob, { k: 'post', text: 'one' }, T0 + 2)
  const b = writeContent(base, bob, { k: 'post', text: 'other one' }, T0 + 2) // same seq 0: a fork
  const forked = buildView(base.descriptor, [...w.entries, a, b], { now: T0 + DAY })
  assert.deepEqual(forked.forks, [bob.id])
  assert.deepEqual(forked.posts, [])
  w.entries.push(a)
  const v1 = w.view(bob)
  const second = writeContent(v1, bob, { k: 'post', text: 'two' }, T0 + 3)
  const third = writeContent(buildView(v1.descriptor, [...w.entries, second], { account: bob }), bob, { k: 'post', text: 'three' }, T0 + 4)
  // Without its seq 1, seq 2 waits.
  const gap = buildView(v1.descriptor, [...w.entries, third], { now: T0 + DAY })
  assert.equal(gap.waiting, 1)
  assert.deepEqual(gap.posts.map(p => p.text), ['one'])
  // A seq 1 that does not name seq 0 (the log reordered): refused, and the log stops there.
  const wrongPrev = signEntry(bob.privateKey, { ch: w.id, author: bob.id, seq: 1, prev: 'A'.repeat(43), at: T0 + 3, chain: v1.authority!.chain, body: { k: 'post', text: 'reordered' } })
  const broken = buildView(v1.descriptor, [...w.entries, wrongPrev, third], { now: T0 + DAY })
  assert.ok(broken.refused.some(r => /broken log/.test(r.reason)))
  assert.deepEqual(broken.posts.map(p => p.text), ['one'])
})

test('oversized and malformed entries are refused with a reason, never thrown', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  const v = w.view(bob)
  assert.throws(() => writeContent(v, bob, { k: 'post', text: 'x'.repeat(9000) }), (e: ChannelError) => e.code === 'channel.badEntry')
  assert.throws(() => writeContent(v, bob, { k: 'share', link: 'https://example.com', title: 't', size: 1 }), /oht link/)
  const huge = 'A'.repeat(MAX_ENTRY_CHARS + 1) + '.x'
  const signedHuge = signEntry(bob.privateKey, { ch: w.id, author: bob.id, seq: 0, prev: null, at: T0 + 2, chain: v.authority!.chain, body: { k: 'post', text: 'y'.repeat(9000) } })
  const junk = ['', 'no dot', 'a.b.c', '!!.??', Buffer.from('[1,2]').toString('base64url') + '.AAAA', huge, signedHuge]
  const out = buildView(v.descriptor, [...w.entries, ...junk as string[]], { now: T0 + DAY })
  assert.equal(out.refused.length, junk.length)
  assert.ok(out.refused.some(r => /oversized/.test(r.reason)))
  assert.ok(out.refused.some(r => /1 to 8192 bytes/.test(r.reason)))
  assert.equal(readDescriptor(w.id, 'x.y'), undefined)
})

test('leaving: a member that left is not a member, and its later entries are refused', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  const before = w.view(bob)
  w.entries.push(writeLeave(before, bob, T0 + 2))
  assert.ok(!w.view().members.some(m => m.account === bob.id))
  const v = w.view(bob)
  const after = signEntry(bob.privateKey, { ch: w.id, author: bob.id, seq: 1, prev: v.heads[bob.id]!.id, at: T0 + 3, chain: before.authority!.chain, body: { k: 'post', text: 'back' } })
  w.entries.push(after)
  assert.deepEqual(w.view().posts, [])
})

test('a moderator cannot remove the owner: refused when written, ignored when signed anyway', () => {
  const w = world(false)
  const mod = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, mod.id, 'moderator', { now: T0 + 1 }))
  const v = w.view(mod)
  assert.throws(() => writeRevoke(v, mod, w.owner.id), /a certificate its own authority rests on/)
  const ownerCert = v.members.find(m => m.account === w.owner.id)!.cert
  w.entries.push(append(v, mod, { k: 'revoke', cert: ownerCert, upto: 0 }, T0 + 2))
  w.entries.push(writeContent(w.view(w.owner), w.owner, { k: 'post', text: 'still here' }, T0 + 3))
  const after = w.view()
  assert.deepEqual(after.posts.map(p => p.text), ['still here'])
  assert.ok(after.members.some(m => m.account === w.owner.id))
  // The owner removes the moderator, who may not take the owner's grant back either.
  w.entries.push(writeRevoke(w.view(w.owner), w.owner, mod.id, T0 + 4))
  assert.ok(!w.view().members.some(m => m.account === mod.id))
})

test('an entry re-encoded by someone else (the same signed bytes, another text) is refused, not taken for a fork', () => {
  const w = world(false)
  const first = w.entries[0]!
  const [body, sig] = first.split('.') as [string, string]
  // base64url ignores the spare bits of a last character: flip them.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const twin = (s: string): string => {
    const spare = [0, 0, 4, 2][s.length % 4]! // spare bits of the last character
    if (spare === 0) return s
    const last = alphabet.indexOf(s.at(-1)!)
    return s.slice(0, -1) + alphabet[last ^ 1]!
  }
  const variants = [`${twin(body)}.${sig}`, `${body}.${twin(sig)}`].filter(v => v !== first)
  assert.ok(variants.length > 0)
  for (const v of variants) {
    assert.ok(Buffer.from(v.split('.')[0]!, 'base64url').equals(Buffer.from(body, 'base64url')) || Buffer.from(v.split('.')[1]!, 'base64url').equals(Buffer.from(sig, 'base64url')))
    const view = buildView(w.view().descriptor, [...w.entries, v], { now: T0 + DAY })
    assert.deepEqual(view.forks, [], 'no fork from a re-encoding')
    assert.ok(view.refused.some(r => /malformed/.test(r.reason)))
  }
  // Invalid UTF-8: a post holding U+FFFD (EF BF BD) with those bytes replaced by 0xFF decodes to
  // the same JSON, so the same signature verifies over another text (another entry id).
  const post = writeContent(w.view(w.owner), w.owner, { k: 'post', text: 'a \ufffd b' }, T0 + 1)
  w.entries.push(post)
  const [postBody, postSig] = post.split('.') as [string, string]
  const bytes = Buffer.from(postBody, 'base64url')
  const at = bytes.indexOf(Buffer.from('\ufffd'))
  assert.ok(at > 0)
  const latin = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)])
  assert.equal(latin.toString('utf8'), bytes.toString('utf8'), 'the same JSON once decoded')
  const reencoded = `${latin.toString('base64url')}.${postSig}`
  const view = buildView(w.view().descriptor, [...w.entries, reencoded], { now: T0 + DAY })
  assert.deepEqual(view.forks, [], 'no fork from invalid UTF-8')
  assert.equal(view.posts.length, 1, 'the post once')
  assert.ok(view.refused.some(r => /malformed/.test(r.reason)), JSON.stringify(view.refused))
})

test('the verification cache is bounded by count and by the characters it keeps', async () => {
  const { Memo } = await import('../../src/people/channels/signed.ts')
  const m = new Memo<string>(3, 100, v => v.length)
  let computed = 0
  const get = (k: string, v: string): string => m.get(k, () => { computed++; return v })
  get('a', 'x'.repeat(10)); get('b', 'x'.repeat(10)); get('c', 'x'.repeat(10))
  get('a', '')
  assert.equal(computed, 3, 'a hit is not computed again')
  get('d', 'x'.repeat(10)) // a fourth: the oldest (a) goes
  get('a', 'x'.repeat(10))
  assert.equal(computed, 5)
  get('big', 'x'.repeat(95)) // over the weight: all older ones go
  computed = 0
  get('b', 'x'); get('c', 'x'); get('d', 'x')
  assert.equal(computed, 3)

  // The weight bound alone (a count bound far off): 50 results of 13 characters each (key and
  // value) under a bound of 100 characters keep 7, never more. Probed newest first: hits do not
  // reorder, so the hits before the first miss are what was kept.
  const heavy = new Memo<string>(1000, 100, v => v.length)
  const keys = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`)
  for (const k of keys) heavy.get(k, () => 'x'.repeat(10))
  let kept = 0
  for (const k of keys.toReversed()) {
    let miss = false
    heavy.get(k, () => { miss = true; return '' })
    if (miss) break
    kept++
  }
  assert.ok(kept * 13 <= 100, `${kept} results of 13 characters kept: ${kept * 13} over the bound of 100`)
  assert.equal(kept, 7)
})

test('a revoked writer that backdates its next post to before the revocation is still refused: the cut is by log position', () => {
  const w = world(false)
  const bob = account()
  w.entries.push(writeGrant(w.view(w.owner), w.owner, bob.id, 'writer', { now: T0 + 1 }))
  w.entries.push(writeContent(w.view(bob), bob, { k: 'post', text: 'before' }, T0 + 3))
  const bobView = w.view(bob) // Bob has not seen the revocation
  w.entries.push(writeRevoke(w.view(w.owner), w.owner, bob.id, T0 + 10))
  // Dated T0 + 3, as early as its log allows, seven milliseconds before the revocation.
  w.entries.push(writeContent(bobView, bob, { k: 'post', text: 'backdated' }, T0 + 3))
  const v = w.view()
  assert.deepEqual(v.posts.map(p => p.text), ['before'])
  assert.ok(v.refused.some(r => r.author === bob.id && /revoked/.test(r.reason)), JSON.stringify(v.refused))
})
