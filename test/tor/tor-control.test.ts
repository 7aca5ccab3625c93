// The Tor control-port client, against a real tor (started with DisableNetwork 1: it never
// contacts any Tor network) and against a FAKE control port: a local socket that speaks the
// control protocol's framing so we can send what a real tor rarely or never sends (malformed
// lines, oversized replies, events in the middle of pipelined replies, a lying SAFECOOKIE
// server). The fake is a test device for the parser, not a stand-in for tor's behaviour.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { within } from '../../src/onion/compliance.ts'
import { onionNameFromPublicKey } from '../../src/onion/address.ts'
import { ReplyParser, ReplyProtocolError, parseArguments, type Reply } from '../../src/onion/tor/reply.ts'
import { TorControl, TorControlError } from '../../src/onion/tor/control.ts'
import { startTor, type TorProcess } from '../../src/onion/tor/process.ts'
import { bootstrapOf, parseEvent, type TorEvent } from '../../src/onion/tor/events.ts'

const SAFECOOKIE_SERVER_KEY = 'Tor safe cookie authentication server-to-controller hash'
const SAFECOOKIE_CLIENT_KEY = 'Tor safe cookie authentication controller-to-server hash'

let workDir = ''
before(async () => { workDir = await mkdtemp(join(tmpdir(), 'oht-torctl-')) })
after(async () => { await rm(workDir, { recursive: true, force: true }) })

describe('ReplyParser', () => {
  const parse = (...chunks: string[]): Reply[] => {
    const replies: Reply[] = []
    const parser = new ReplyParser(r => { replies.push(r) })
    for (const c of chunks) parser.push(c)
    return replies
  }

  it('parses single-line, multi-line and data replies split at any byte', () => {
    const text = '250 OK\r\n250-version=0.4.9\r\n250+config-text=\r\nA 1\r\n..dotted\r\n.\r\n250 OK\r\n552 Unrecognized key "x"\r\n'
    for (let cut = 0; cut <= text.length; cut++) {
      const replies = parse(text.slice(0, cut), text.slice(cut))
      assert.equal(replies.length, 3, `cut at ${cut}`)
      assert.deepEqual(replies[0], { code: 250, lines: [{ code: 250, text: 'OK' }] })
      assert.equal(replies[1]!.lines.length, 3)
      assert.equal(replies[1]!.lines[1]!.data, 'A 1\n.dotted', 'dot-unstuffed data block')
      assert.equal(replies[2]!.code, 552)
    }
  })

  it('refuses malformed lines, mixed codes and oversized input, and stays failed', () => {
    assert.throws(() => parse('25 OK\r\n'), ReplyProtocolError)
    assert.throws(() => parse('250 OK\r\nhello\r\n'), ReplyProtocolError)
    assert.throws(() => parse('250-a\r\n251 b\r\n'), /mixes codes/)
    const small = new ReplyParser(() => {}, { maxLineBytes: 100, maxReplyBytes: 1000 })
    assert.throws(() => { small.push('250-' + 'x'.repeat(200)) }, /longer than 100/)
    assert.throws(() => { small.push('250 OK\r\n') }, ReplyProtocolError, 'a failed parser refuses further input')
    const big = new ReplyParser(() => {}, { maxLineBytes: 100, maxReplyBytes: 1000 })
    assert.throws(() => { for (let i = 0; i < 20; i++) big.push(`250-${'y'.repeat(90)}\r\n`) }, /larger than 1000/)
  })

  it('parses keyword arguments with quoted values and escapes', () => {
    const { positional, keywords } = parseArguments('NOTICE BOOTSTRAP PROGRESS=85 TAG=ap_conn SUMMARY="Connecting to \\"a\\" relay" X=')
    assert.deepEqual(positional, ['NOTICE', 'BOOTSTRAP'])
    assert.equal(keywords.get('PROGRESS'), '85')
    assert.equal(keywords.get('SUMMARY'), 'Connecting to "a" relay')
    assert.equal(keywords.get('X'), '')
    assert.throws(() => parseArguments('A="unterminated'), ReplyProtocolError)
  })
})

describe('typed events', () => {
  const event = (text: string): TorEvent => parseEvent({ code: 650, lines: [{ code: 650, text }] })

  it('parses HS_DESC, STATUS_CLIENT bootstrap and CIRC events as tor writes them', () => {
    assert.deepEqual(event('HS_DESC UPLOADED abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx UNKNOWN $0123456789ABCDEF0123456789ABCDEF01234567~auth0'), {
      type: 'HS_DESC', action: 'UPLOADED', address: 'abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx', authType: 'UNKNOWN', hsDir: '$0123456789ABCDEF0123456789ABCDEF01234567~auth0'
    })
    const failed = event('HS_DESC FAILED xyz UNKNOWN $AA~relay REASON=UPLOAD_REJECTED')
    assert.equal(failed.type === 'HS_DESC' ? failed.reason : '', 'UPLOAD_REJECTED')
    const status = event('STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=75 TAG=enough_dirinfo SUMMARY="Loaded enough directory info to build circuits"')
    assert.ok(status.type === 'STATUS_CLIENT')
    assert.deepEqual(bootstrapOf(status.arguments), { progress: 75, tag: 'enough_dirinfo', summary: 'Loaded enough directory info to build circuits' })
    const warn = event('STATUS_CLIENT WARN BOOTSTRAP PROGRESS=5 TAG=conn SUMMARY="Connecting" WARNING="Connection refused" REASON=CONNECTREFUSED')
    assert.equal(warn.type === 'STATUS_CLIENT' ? bootstrapOf(warn.arguments).warning : '', 'Connection refused')
    const circ = event('CIRC 12 BUILT $AA~a,$BB~b,$CC~c BUILD_FLAGS=IS_INTERNAL,NEED_CAPACITY PURPOSE=HS_CLIENT_REND HS_STATE=HSCR_JOINED REND_QUERY=xyz SOCKS_USERNAME="oht-1" TIME_CREATED=2026-11-29T15:00:00.000000')
    assert.deepEqual(circ, { type: 'CIRC', id: '12', status: 'BUILT', path: ['$AA~a', '$BB~b', '$CC~c'], purpose: 'HS_CLIENT_REND', hsState: 'HSCR_JOINED', socksUsername: 'oht-1' })
    const other = event('STREAM 5 SUCCEEDED 12 xyz.onion:80')
    assert.deepEqual(other, { type: 'other', name: 'STREAM', text: 'STREAM 5 SUCCEEDED 12 xyz.onion:80' })
  })
})

/** A fake control port: `script` gets each command line and answers with raw text. */
async function fakeControl (script: (line: string, socket: Socket) => string | null | Promise<string | null>): Promise<{ server: Server, port: number, cookieFile: string, cookie: Buffer }> {
  const cookie = randomBytes(32)
  const cookieFile = join(workDir, `cookie-${randomBytes(4).toString('hex')}`)
  await writeFile(cookieFile, cookie)
  const server = createServer(socket => {
    socket.on('error', () => {})
    let buffer = ''
    // One line at a time, in order, however the commands were split into chunks.
    let queue = Promise.resolve()
    socket.on('data', chunk => {
      buffer += chunk.toString()
      let end
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        queue = queue.then(async () => {
          const answer = await script(line, socket)
          if (answer !== null && !socket.destroyed) socket.write(answer)
        })
      }
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as AddressInfo).port, cookieFile, cookie }
}

/** Answers PROTOCOLINFO and a correct SAFECOOKIE exchange for `cookie`; returns null for other lines. */
function safeCookieServer (cookie: () => Buffer, lie = false): (line: string) => string | null {
  const serverNonce = randomBytes(32)
  let clientNonce = Buffer.alloc(0)
  return line => {
    if (line === 'PROTOCOLINFO 1') return '250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/nonexistent/cookie"\r\n250-VERSION Tor="0.4.9.11"\r\n250 OK\r\n'
    if (line.startsWith('AUTHCHALLENGE SAFECOOKIE ')) {
      clientNonce = Buffer.from(line.split(' ')[2]!, 'hex')
      const key = lie ? randomBytes(32) : cookie()
      const hash = createHmac('sha256', SAFECOOKIE_SERVER_KEY).update(Buffer.concat([key, clientNonce, serverNonce])).digest('hex')
      return `250 AUTHCHALLENGE SERVERHASH=${hash.toUpperCase()} SERVERNONCE=${serverNonce.toString('hex').toUpperCase()}\r\n`
    }
    if (line.startsWith('AUTHENTICATE ')) {
      const expected = createHmac('sha256', SAFECOOKIE_CLIENT_KEY).update(Buffer.concat([cookie(), clientNonce, serverNonce])).digest('hex')
      return line.slice(13).toLowerCase() === expected ? '250 OK\r\n' : '515 Authentication failed: Safecookie response did not match expected value.\r\n'
    }
    return null
  }
}

describe('TorControl against a fake control port (malformed input, interleaved events)', () => {
  it('authenticates with SAFECOOKIE, pipelines commands in order, and routes interleaved events', async () => {
    let cookie: Buffer = Buffer.alloc(0)
    const auth = safeCookieServer(() => cookie)
    let n = 0
    const fake = await fakeControl(async line => {
      const answer = auth(line)
      if (answer !== null) return answer
      if (line.startsWith('GETINFO ')) {
        const key = line.slice(8)
        n++
        // An event (multi-line, then data-form) arrives before each reply, split into pieces.
        await new Promise(resolve => setTimeout(resolve, Math.max(0, 5 * (3 - n))))
        return `650-CONF_CHANGED\r\n650-Foo=${n}\r\n650 OK\r\n650+NS\r\nr a b\r\n.\r\n650 OK\r\n` +
          `250+${key}=\r\nline 1 of ${key}\r\nline 2\r\n.\r\n250 OK\r\n`
      }
      if (line === 'SIGNAL BOGUS') return '552 Unrecognized signal code "BOGUS"\r\n'
      return '510 Unrecognized command\r\n'
    })
    cookie = fake.cookie
    const control = await TorControl.connect({ port: fake.port, cookieFile: fake.cookieFile })
    try {
      const events: TorEvent[] = []
      control.onEvent(e => { events.push(e) })
      // Three commands written at once; the fake answers the first last-delayed: order must hold.
      const [a, b, c] = await Promise.all(['one', 'two', 'three'].map(async k => await control.getInfo(k)))
      assert.equal(a!.get('one'), 'line 1 of one\nline 2')
      assert.equal(b!.get('two'), 'line 1 of two\nline 2')
      assert.equal(c!.get('three'), 'line 1 of three\nline 2')
      assert.equal(events.length, 6)
      assert.deepEqual(events.map(e => e.type === 'other' ? e.name : e.type), ['CONF_CHANGED', 'NS', 'CONF_CHANGED', 'NS', 'CONF_CHANGED', 'NS'])
      const err = await control.command('SIGNAL BOGUS').catch((e: unknown) => e)
      assert.ok(err instanceof TorControlError)
      assert.equal(err.code, 552)
      assert.equal(err.text, 'Unrecognized signal code "BOGUS"')
      assert.equal(err.command, 'SIGNAL')
      // The connection survives an error reply.
      assert.equal((await control.getInfo('four')).get('four'), 'line 1 of four\nline 2')
    } finally {
      control.close()
      fake.server.close()
    }
  })

  it('refuses a control port that does not know the cookie (SAFECOOKIE is mutual)', async () => {
    let cookie: Buffer = Buffer.alloc(0)
    const fake = await fakeControl(safeCookieServer(() => cookie, true))
    cookie = fake.cookie
    await assert.rejects(TorControl.connect({ port: fake.port, cookieFile: fake.cookieFile }), /does not know our cookie/)
    fake.server.close()
  })

  it('fails every pending command when the reply stream is malformed, or the peer hangs up', async () => {
    let cookie: Buffer = Buffer.alloc(0)
    const auth = safeCookieServer(() => cookie)
    const fake = await fakeControl((line, socket) => {
      const answer = auth(line)
      if (answer !== null) return answer
      if (line === 'GETINFO garbage') return 'this is not a reply\r\n'
      if (line === 'GETINFO huge') return '250-' + 'z'.repeat(100_000) + '\r\n'
      if (line === 'GETINFO hangup') { socket.destroy(); return null }
      return null // never answers: stays pending until the connection fails
    })
    cookie = fake.cookie
    for (const [trigger, expected] of [['garbage', /malformed control reply line/], ['huge', /longer than/], ['hangup', /closed/]] as const) {
      const control = await TorControl.connect({ port: fake.port, cookieFile: fake.cookieFile })
      const silent = control.command('GETINFO silent')
      const failing = control.command(`GETINFO ${trigger}`)
      const closed = new Promise<Error | undefined>(resolve => control.onClose(resolve))
      await within(assert.rejects(silent, expected), 5_000, `${trigger}: the pending command to fail`)
      await within(assert.rejects(failing, (e: unknown) => e instanceof TorControlError && e.code === 0), 5_000, `${trigger}: the failing command`)
      await within(closed, 5_000, 'onClose')
      await assert.rejects(control.command('GETINFO version'), TorControlError, 'a failed connection refuses new commands')
    }
    fake.server.close()
  })

  it('times out a command tor never answers, and then drops the connection', async () => {
    let cookie: Buffer = Buffer.alloc(0)
    const auth = safeCookieServer(() => cookie)
    const fake = await fakeControl(line => auth(line))
    cookie = fake.cookie
    const control = await TorControl.connect({ port: fake.port, cookieFile: fake.cookieFile, commandTimeoutMs: 300 })
    await assert.rejects(control.command('GETINFO never'), /no reply within 300 ms/)
    assert.equal(control.closed, true)
    fake.server.close()
  })
})

describe('TorControl against a real tor (DisableNetwork 1: no network contact)', () => {
  let tor: TorProcess
  const password = 'test123'
  before(async () => {
    tor = await startTor({
      dataDir: join(workDir, 'tor'),
      // Never touch the real Tor network from a test; a password as a second auth method.
      config: ['DisableNetwork 1', 'HashedControlPassword 16:405C3C70168C84CB60D094B2CFB2F479E1139FD7455A57D6DE1A40D636']
    })
  })
  after(async () => { await tor?.close() })

  it('authenticates with SAFECOOKIE and with a password, and reads multi-line and data replies', async () => {
    assert.ok(tor.control.protocolInfo.methods.includes('SAFECOOKIE'), tor.control.protocolInfo.methods.join(','))
    assert.match(tor.control.protocolInfo.torVersion ?? '', /^0\.4\./)
    const byPassword = await TorControl.connect({ port: tor.controlPort, password })
    try {
      const info = await byPassword.getInfo('version', 'config-text', 'net/listeners/control')
      assert.match(info.get('version')!, /^0\.4\./)
      assert.match(info.get('config-text')!, /DisableNetwork 1/, 'data reply (250+) read to its end')
      assert.match(info.get('config-text')!, /\n/)
      assert.equal(info.get('net/listeners/control'), `"127.0.0.1:${tor.controlPort}"`)
    } finally {
      byPassword.close()
    }
    await assert.rejects(TorControl.connect({ port: tor.controlPort, password: 'wrong' }), (e: unknown) => e instanceof TorControlError && e.code === 515)
  })

  it('surfaces tor\'s errors with code and text, and keeps the connection', async () => {
    const bad = await tor.control.getInfo('no-such-key').catch((e: unknown) => e)
    assert.ok(bad instanceof TorControlError)
    assert.equal(bad.code, 552)
    assert.match(bad.text, /Unrecognized key "no-such-key"/)
    const unknown = await tor.control.command('FROBNICATE').catch((e: unknown) => e)
    assert.ok(unknown instanceof TorControlError && unknown.code === 510, String(unknown))
    assert.match((await tor.control.getInfo('version')).get('version')!, /^0\.4\./)
  })

  it('delivers asynchronous events interleaved with pipelined replies', async () => {
    const events: TorEvent[] = []
    const off = tor.control.onEvent(e => { events.push(e) })
    try {
      await tor.control.addEvents('CONF_CHANGED')
      // Tor emits the 650 CONF_CHANGED event before the 250 OK of SETCONF.
      const replies = await Promise.all([
        tor.control.command('SETCONF MaxCircuitDirtiness=700'),
        tor.control.getInfo('version'),
        tor.control.command('SETCONF MaxCircuitDirtiness=800'),
        tor.control.getInfo('config/defaults')
      ])
      assert.equal(replies.length, 4)
      assert.match((replies[1] as Map<string, string>).get('version')!, /^0\.4\./)
      const changes = events.filter(e => e.type === 'other' && e.name === 'CONF_CHANGED')
      assert.equal(changes.length, 2)
      assert.match((changes[0] as { text: string }).text, /MaxCircuitDirtiness=700/)
      assert.match((changes[1] as { text: string }).text, /MaxCircuitDirtiness=800/)
      const conf = await tor.control.command('GETCONF MaxCircuitDirtiness')
      assert.equal(conf.lines[0]!.text, 'MaxCircuitDirtiness=800')
    } finally {
      off()
    }
  })

  it('a tor oht started dies with the process that started it, even on SIGKILL (no orphans)', async () => {
    const script = join(workDir, 'owner.ts')
    await writeFile(script, `
      import { startTor } from ${JSON.stringify(join(process.cwd(), 'src/onion/tor/process.ts'))}
      const tor = await startTor({ dataDir: ${JSON.stringify(join(workDir, 'orphan'))}, config: ['DisableNetwork 1'] })
      console.log(tor.pid)
      setInterval(() => {}, 1000)
    `)
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] })
    const torPid = await within(new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => { resolve(Number(d.toString().trim())) })
      child.once('exit', () => { reject(new Error('the owner exited early')) })
    }), 30_000, 'the owner to start tor')
    assert.ok(Number.isInteger(torPid) && torPid > 0)
    assert.doesNotThrow(() => process.kill(torPid, 0), 'tor runs')
    child.kill('SIGKILL')
    const alive = (): boolean => { try { process.kill(torPid, 0); return true } catch { return false } }
    const deadline = Date.now() + 10_000
    while (alive() && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(alive(), false, `tor ${torPid} outlived its owner`)
  })
})

describe('starting and attaching fail clearly', () => {
  it('reports a missing tor binary and an unreachable control port as ListenError/DialError with the cause', async () => {
    const { TorTransport } = await import('../../src/onion/tor/transport.ts')
    const { ListenError, DialError } = await import('../../src/onion/transport.ts')
    const missing = new TorTransport({ tor: { kind: 'own', dataDir: join(workDir, 'missing'), torPath: join(workDir, 'no-such-tor') } })
    await assert.rejects(missing.listen(() => {}), (e: unknown) => e instanceof ListenError && /cannot start .*no-such-tor.*is tor installed/.test(e.message))
    // The failed start is not cached: the same error comes back, not a stale one, and close() works.
    await assert.rejects(missing.listen(() => {}), ListenError)
    await missing.close()

    const server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise(resolve => server.close(resolve)) // now nothing listens there
    const nowhere = new TorTransport({ tor: { kind: 'attach', port } })
    const someone = `onion:${onionNameFromPublicKey(generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32))}:4001`
    const err = await nowhere.dial(someone, { timeoutMs: 5_000 }).catch((e: unknown) => e)
    assert.ok(err instanceof DialError && err.code === 'failed' && /tor is not available.*control port/.test(err.message), String(err))
    await assert.rejects(nowhere.listen(() => {}), (e: unknown) => e instanceof ListenError && /control port 127\.0\.0\.1:\d+/.test(e.message))
    await nowhere.close()
  })
})
