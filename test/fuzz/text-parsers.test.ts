// Fuzz targets: links and capabilities, peer addresses, HTTP Range headers, Tor control replies.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { LinkError, formatLink, formatVerifyCap, parseCapability, type Capability } from '../../src/blocks/link.ts'
import { DAG_CBOR_CODEC } from '../../src/blocks/cid.ts'
import { formatAddress, parseAddress } from '../../src/onion/address.ts'
import { AddressError } from '../../src/onion/transport.ts'
import { parseRange } from '../../src/streaming/range.ts'
import { ReplyParser, ReplyProtocolError, parseArguments, quoteString, type Reply } from '../../src/onion/tor/reply.ts'
import { parseEvent } from '../../src/onion/tor/events.ts'
import { chunked, fc, mutated, only, params } from './fuzz.ts'

const cid = fc.uint8Array({ minLength: 1, maxLength: 40 }).map(b => CID.createV1(DAG_CBOR_CODEC, sha256.digest(b) as never))
const key = fc.uint8Array({ minLength: 32, maxLength: 32 })
const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.tuple(cid, key).map(([manifestCid, contentKey]) => ({ kind: 'read' as const, manifestCid, contentKey })),
  fc.tuple(cid, key).map(([manifestCid, swarmKey]) => ({ kind: 'verify' as const, manifestCid, swarmKey }))
)
const format = (c: Capability): string => c.kind === 'read' ? formatLink(c) : formatVerifyCap(c)
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')

test('fuzz links: every capability round-trips; arbitrary and mutated links parse to a capability that formats back, or fail with a LinkError', () => {
  fc.assert(fc.property(capability, c => {
    const parsed = parseCapability(format(c))
    assert.equal(format(parsed), format(c))
  }), params(300))
  const input = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), capability.chain(c => mutated(Buffer.from(format(c)))).map(text),
    fc.tuple(fc.constantFrom('oht://', 'oht-verify://'), fc.string(), fc.constantFrom('#', ''), fc.string()).map(p => p.join('')))
  fc.assert(fc.property(input, s => {
    const c = only([LinkError], () => parseCapability(s))
    if (c !== undefined) assert.equal(format(c), s.trim(), 'only the canonical form of a link is accepted')
  }), params(2000))
})

test('fuzz addresses: arbitrary and mutated addresses parse to one that formats back, or fail with an AddressError', () => {
  const valid = fc.constantFrom('tcp:127.0.0.1:4001', 'tcp:[::1]:80', 'mem:node-1', 'onion:' + 'a'.repeat(52) + 'aaad.onion:80', '127.0.0.1:9')
  const input = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), valid.chain(v => mutated(Buffer.from(v))).map(text),
    fc.tuple(fc.constantFrom('tcp:', 'mem:', 'onion:', ''), fc.string(), fc.constantFrom(':', '.onion:', ''), fc.string()).map(p => p.join('')))
  fc.assert(fc.property(input, s => {
    const a = only([AddressError], () => parseAddress(s))
    if (a !== undefined) assert.deepEqual(parseAddress(formatAddress(a)), a)
  }), params(2000))
})

test('fuzz Range: any header gives a range inside the file, the whole file or a 416, never an exception', () => {
  const header = fc.oneof(fc.string(), fc.constant(undefined),
    fc.tuple(fc.constantFrom('bytes=', 'BYTES = ', 'bytes=-', 'items='), fc.oneof(fc.nat().map(String), fc.constant(''), fc.string()), fc.constantFrom('-', '', ',', ' - '), fc.oneof(fc.nat().map(String), fc.constant(''), fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), fc.string())).map(p => p.join('')))
  fc.assert(fc.property(header, fc.oneof(fc.nat(), fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER)), (h, size) => {
    const r = parseRange(h, size)
    if (r.kind === 'partial') {
      assert.ok(Number.isSafeInteger(r.range.start) && Number.isSafeInteger(r.range.end))
      assert.ok(r.range.start >= 0 && r.range.start <= r.range.end && r.range.end < size, JSON.stringify({ h, size, r }))
    }
    // A range the server sends back is read again as itself.
    if (r.kind === 'partial') assert.deepEqual(parseRange(`bytes=${r.range.start}-${r.range.end}`, size), r)
  }), params(3000))
})

const code = fc.constantFrom(250, 251, 510, 552, 650)
const lineText = fc.string({ unit: fc.constantFrom('a', 'Z', '=', ' ', '"', '\\', '.', '-', '+', 'é') , maxLength: 40 })
/** Well-formed replies: lines of one code, some with data blocks, as Tor writes them. */
const reply: fc.Arbitrary<Reply> = fc.tuple(code, fc.array(fc.tuple(lineText, fc.option(fc.array(lineText, { maxLength: 4 }), { nil: undefined })), { minLength: 1, maxLength: 4 }))
  .map(([c, lines]) => ({ code: c, lines: lines.map(([t, data], i) => i === lines.length - 1 || data === undefined ? { code: c, text: t } : { code: c, text: t, data: data.join('\n') }) }))
const encodeReply = (r: Reply): string => r.lines.map((l, i) => {
  const last = i === r.lines.length - 1
  if (l.data === undefined) return `${l.code}${last ? ' ' : '-'}${l.text}\r\n`
  const data = l.data === '' ? [] : l.data.split('\n')
  return `${l.code}+${l.text}\r\n${data.map(d => (d.startsWith('.') ? '.' : '') + d + '\r\n').join('')}.\r\n`
}).join('')

test('fuzz Tor control replies: well-formed replies are read whole however they are chunked', () => {
  fc.assert(fc.property(fc.array(reply, { minLength: 1, maxLength: 4 }).chain(rs => fc.tuple(fc.constant(rs), chunked(Buffer.from(rs.map(encodeReply).join(''))))), ([replies, chunks]) => {
    const got: Reply[] = []
    const parser = new ReplyParser(r => { got.push(r) })
    for (const c of chunks) parser.push(c)
    assert.deepEqual(got, replies)
  }), params(500))
})

test('fuzz Tor control replies: arbitrary bytes yield replies or a ReplyProtocolError, within the line and reply bounds', () => {
  const stream = fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.array(reply, { maxLength: 3 }).chain(rs => mutated(Buffer.from(rs.map(encodeReply).join('')))),
    fc.array(fc.tuple(fc.constantFrom('250', '650', '25', '2500', 'abc'), fc.constantFrom(' ', '-', '+', ''), lineText).map(p => p.join('') + '\r\n'), { maxLength: 8 }).map(ls => Buffer.from(ls.join(''))),
    // Lines and replies around the bounds (64 and 256 bytes here): the cases above stay far below them.
    fc.integer({ min: 0, max: 120 }).map(n => Buffer.from(`250 ${'a'.repeat(n)}\r\n`)),
    fc.integer({ min: 1, max: 12 }).map(k => Buffer.from(`${'250-'.concat('b'.repeat(40), '\r\n').repeat(k)}250 OK\r\n`)))
  fc.assert(fc.property(stream.chain(s => chunked(s)), chunks => {
    // Checked after the pushes: the parser turns whatever its callback throws into its own error.
    const wrong: string[] = []
    const parser = new ReplyParser(r => {
      if (!(r.lines.length > 0 && r.lines.every(l => l.code === r.code))) wrong.push(`a reply of mixed or no lines: ${JSON.stringify(r).slice(0, 80)}`)
      for (const l of r.lines) if (Buffer.byteLength(l.text) > 64) wrong.push(`a line of ${Buffer.byteLength(l.text)} bytes passed the 64-byte line bound`)
      const bytes = r.lines.reduce((n, l) => n + Buffer.byteLength(l.text) + Buffer.byteLength(l.data ?? ''), 0)
      if (bytes > 256) wrong.push(`a reply of ${bytes} bytes passed the 256-byte reply bound`)
      // Events are parsed from these replies: only the parser's own error.
      if (r.code >= 600) only([ReplyProtocolError], () => parseEvent(r))
    }, { maxLineBytes: 64, maxReplyBytes: 256 })
    for (const c of chunks) {
      if (only([ReplyProtocolError], () => { parser.push(c); return true }) === undefined) {
        // After a protocol error the parser refuses everything that follows.
        assert.throws(() => { parser.push(Buffer.from('250 OK\r\n')) }, ReplyProtocolError)
        break
      }
    }
    assert.deepEqual(wrong, [])
  }), params(1500))
})

test('fuzz Tor control arguments: quoted values read back as written; arbitrary text splits or fails with a ReplyProtocolError', () => {
  const value = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', ' ', '=', 'n', 't'), fc.string({ minLength: 1, maxLength: 1 })) }).filter(v => !/[\r\n\0]/.test(v))
  fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9_]{1,10}$/), value, (k, v) => {
    assert.equal(parseArguments(`${k}=${quoteString(v)}`).keywords.get(k), v)
  }), params(1000))
  fc.assert(fc.property(fc.string(), s => { only([ReplyProtocolError], () => parseArguments(s)) }), params(1000))
})
