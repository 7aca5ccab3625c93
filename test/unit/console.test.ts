// The console's pure parts: the parser (words, quotes, options, typos), tab completion, the
// line editor and the encrypted history (its file holds no clear text and opens with its key only).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { parseLine, suggest, tokenize } from '../../cli/console/parser.ts'
import { complete, commonPrefix, pathCandidates } from '../../cli/console/completion.ts'
import { History, HistoryFile, historyKey } from '../../cli/console/history.ts'
import { edit, visible } from '../../cli/console/line.ts'
import { COMMANDS } from '../../cli/console/table.ts'
import { sharedPrefixBits } from '../../cli/console/commands-network.ts'
import { usage, type ConsoleCommand } from '../../cli/console/spec.ts'
import { catalogs } from '../../cli/i18n/index.ts'

test('tokenize: blanks split, quotes and backslashes keep them', () => {
  assert.deepEqual(tokenize(' /share  "my file.txt" other\\ one \'x y\'').map(w => w.text), ['/share', 'my file.txt', 'other one', 'x y'])
  assert.deepEqual(tokenize('/put "open quote').map(w => w.text), ['/put', 'open quote'])
  assert.deepEqual(tokenize('   '), [])
})

test('parseLine: a command with arguments and options', () => {
  const r = parseLine('/fetch oht://x out --peer tcp:127.0.0.1:1 --peer=tcp:127.0.0.1:2 --force', COMMANDS)
  assert.equal(r.kind, 'command')
  if (r.kind !== 'command') return
  assert.equal(r.command.name, 'fetch')
  assert.deepEqual(r.input.args, ['oht://x', 'out'])
  assert.deepEqual(r.input.options, { peer: ['tcp:127.0.0.1:1', 'tcp:127.0.0.1:2'], force: true })
  const put = parseLine('/put hello big world', COMMANDS)
  assert.ok(put.kind === 'command' && put.input.args.join(' ') === 'hello big world', 'a rest argument takes every word')
})

test('parseLine: one clear error for each mistake, with a suggestion for a typo', () => {
  const typo = parseLine('/shrae film.mkv', COMMANDS)
  assert.deepEqual(typo, { kind: 'error', code: 'unknown', params: { name: '/shrae', suggestion: '/share' } })
  const far = parseLine('/xyzzyq', COMMANDS)
  assert.ok(far.kind === 'error' && far.params.suggestion === '', 'no suggestion for a word that is not near any command')
  assert.equal(parseLine('share x', COMMANDS).kind === 'error' && (parseLine('share x', COMMANDS) as { code: string }).code, 'notCommand')
  const missing = parseLine('/fetch', COMMANDS)
  assert.ok(missing.kind === 'error' && missing.code === 'missingArg' && missing.params.usage!.startsWith('/fetch <link>'))
  const many = parseLine('/ls a b', COMMANDS)
  assert.ok(many.kind === 'error' && many.code === 'tooMany')
  const opt = parseLine('/ls --bogus', COMMANDS)
  assert.ok(opt.kind === 'error' && opt.code === 'badOption' && opt.params.option === '--bogus')
  const val = parseLine('/fetch oht://x --peer', COMMANDS)
  assert.ok(val.kind === 'error' && val.code === 'optionValue')
  const choice = parseLine('/tor reboot', COMMANDS)
  assert.ok(choice.kind === 'error' && choice.code === 'badChoice')
  assert.deepEqual(parseLine('   ', COMMANDS), { kind: 'empty' })
})

test('suggest: prefixes, swaps and small edits; nothing for distant words', () => {
  const names = COMMANDS.map(c => c.name)
  assert.equal(suggest('fecth', names), 'fetch')
  assert.equal(suggest('trans', names), 'transfers')
  assert.equal(suggest('pnig', names), 'ping')
  assert.equal(suggest('qit', names), 'quit')
  assert.equal(suggest('elephant', names), undefined)
})

test('the table: unique names, usage lines, help in both catalogs, missing features say so', () => {
  const names = COMMANDS.map(c => c.name)
  assert.equal(new Set(names).size, names.length)
  for (const name of ['share', 'fetch', 'stream', 'pin', 'unpin', 'ls', 'transfers', 'pause', 'resume', 'cancel', 'put', 'get', 'delete',
    'peers', 'connect', 'lookup', 'ping', 'ftable', 'successor', 'predecessor', 'config', 'set', 'unset', 'save', 'tor', 'newtor',
    'accounts', 'generate', 'sign', 'verify', 'dashboard', 'help', 'quit', 'create']) assert.ok(names.includes(name), `/${name} is in the table`)
  for (const c of COMMANDS) {
    assert.ok(c.help in catalogs.en && c.help in catalogs.de, `help of /${c.name} in en and de`)
    if (c.missing != null) assert.ok(c.missing in catalogs.en && c.missing in catalogs.de, `/${c.name} says what is missing`)
    assert.match(usage(c), new RegExp(`^/${c.name}`))
  }
  assert.equal(COMMANDS.find(c => c.name === 'ringcast')?.missing, 'console.missing.ringcast')
})

test('complete: command names, options, arguments from their source', async () => {
  const lookup = async (source: string): Promise<string[]> => source === 'transfer' ? ['abc123', 'abd999'] : source === 'share' ? ['bafy1', 'oht://bafy1#k'] : []
  assert.deepEqual(await complete('/sha', 4, COMMANDS, lookup), { line: '/share ', cursor: 7, candidates: [] })
  const several = await complete('/p', 2, COMMANDS, lookup)
  assert.ok(several.candidates.includes('/ping') && several.candidates.includes('/pause') && several.line === '/p')
  const tr = await complete('/cancel ab', 10, COMMANDS, lookup)
  assert.deepEqual(tr, { line: '/cancel ab', cursor: 10, candidates: ['abc123', 'abd999'] })
  assert.equal((await complete('/cancel abc', 11, COMMANDS, lookup)).line, '/cancel abc123 ')
  assert.equal((await complete('/fetch --pe', 11, COMMANDS, lookup)).line, '/fetch --peer ')
  assert.equal((await complete('/tor st', 7, COMMANDS, lookup)).candidates.join(','), 'start,status,stop')
  assert.equal((await complete('/unpin o', 8, COMMANDS, lookup)).line, '/unpin oht://bafy1#k ')
  assert.deepEqual(await complete('/nosuch x', 9, COMMANDS, lookup), { line: '/nosuch x', cursor: 9, candidates: [] })
  assert.equal(commonPrefix(['abc', 'abd', 'ab']), 'ab')
})

test('complete: file paths (directories end in /, names with blanks are escaped)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-console-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  await mkdir(join(dir, 'films'))
  await writeFile(join(dir, 'my film.mkv'), 'x')
  await writeFile(join(dir, 'music.flac'), 'x')
  assert.deepEqual((await pathCandidates('m', dir)).sort(), ['music.flac', 'my film.mkv'])
  assert.deepEqual(await pathCandidates('f', dir), ['films/'])
  const lookup = async (): Promise<string[]> => await pathCandidates('my', dir)
  assert.equal((await complete('/share my', 9, COMMANDS, lookup)).line, '/share my\\ film.mkv', 'escaped, so the parser reads it back')
  assert.deepEqual(tokenize('/share my\\ film.mkv').map(w => w.text), ['/share', 'my film.mkv'])
  const dirs = await complete('/share f', 8, COMMANDS, async () => await pathCandidates('f', dir))
  assert.equal(dirs.line, '/share films/', 'no blank after a directory')
})

test('line editing: insert, delete, words, kills; long lines scroll around the cursor', () => {
  let s = edit({ text: '', cursor: 0 }, { type: 'insert', text: '/share a b' })
  assert.deepEqual(s, { text: '/share a b', cursor: 10 })
  s = edit(s, { type: 'killWord' })
  assert.deepEqual(s, { text: '/share a ', cursor: 9 })
  s = edit(edit(s, { type: 'home' }), { type: 'delete' })
  assert.deepEqual(s, { text: 'share a ', cursor: 0 })
  s = edit(s, { type: 'wordRight' })
  assert.equal(s.cursor, 5)
  s = edit(s, { type: 'killAfter' })
  assert.deepEqual(s, { text: 'share', cursor: 5 })
  assert.deepEqual(edit(s, { type: 'backspace' }), { text: 'shar', cursor: 4 })
  assert.deepEqual(edit({ text: 'ab', cursor: 1 }, { type: 'killBefore' }), { text: 'b', cursor: 0 })
  assert.deepEqual(edit({ text: '', cursor: 0 }, { type: 'insert', text: 'a\u0007b' }), { text: 'ab', cursor: 2 }, 'control characters are dropped')
  const v = visible({ text: 'x'.repeat(200), cursor: 200 }, 50)
  assert.ok(v.text.length < 50 && v.cursor <= 50)
})

test('history: browsing keeps the draft; no blanks or repeats', () => {
  const h = new History(['/ls', '/status'])
  h.add('/status')
  h.add('   ')
  assert.deepEqual(h.lines, ['/ls', '/status'])
  assert.equal(h.up('/dra'), '/status')
  assert.equal(h.up(''), '/ls')
  assert.equal(h.up(''), undefined)
  assert.equal(h.down(), '/status')
  assert.equal(h.down(), '/dra')
  assert.equal(h.down(), undefined)
})

test('history file: AES-256-GCM under a key derived from the vault key; no clear text; a wrong key fails', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'oht-console-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const vault = randomBytes(32)
  const key = historyKey(vault)
  assert.notDeepEqual(key, vault)
  const path = join(dir, 'console-history.enc')
  const file = new HistoryFile(path, key)
  assert.deepEqual(await file.load(), [], 'no file is an empty history')
  const secret = '/fetch oht://bafysecretlink#contentkeyXYZ'
  await file.save(['/ls', secret])
  const raw = await readFile(path, 'utf8')
  assert.ok(!raw.includes('bafysecretlink') && !raw.includes('/ls') && !raw.includes('contentkey'), 'no clear text in the file')
  assert.deepEqual(await new HistoryFile(path, historyKey(vault)).load(), ['/ls', secret])
  await assert.rejects(new HistoryFile(path, historyKey(randomBytes(32))).load(), 'another key does not open it')
})

test('sharedPrefixBits: the Kademlia bucket of a node id seen from ours', () => {
  assert.equal(sharedPrefixBits('f0', '0f'), 0)
  assert.equal(sharedPrefixBits('80', 'c0'), 1)
  assert.equal(sharedPrefixBits('ab', 'ab'), 8)
  assert.equal(sharedPrefixBits('a0', 'a8'), 4)
})

test('wrap: at blanks when it can, long words cut; nothing longer than the width', async () => {
  const { wrap } = await import('../../cli/console/view.ts')
  assert.deepEqual(wrap('the quick brown fox', 10), ['the quick', 'brown fox'])
  assert.deepEqual(wrap('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)])
  for (const l of wrap('oht://bafyreig376r6shtdf5f6ih64n2rk673ghep6hgvuzjy5nw2lwmn5kjuww4#kAlch4XqspHynR and more words here', 30)) assert.ok(l.length <= 30)
})

test('shortAddress: onion addresses keep their start and port; TCP as it is', async () => {
  const { shortAddress } = await import('../../cli/console/status.ts')
  assert.equal(shortAddress(`onion:${'a'.repeat(56)}.onion:4001`), 'aaaaaaaaaaaa….onion:4001')
  assert.equal(shortAddress('tcp:127.0.0.1:4001'), '127.0.0.1:4001')
})

test('/encrypt seals to an account, /decrypt opens it with that account only', async t => {
  const { createAccount } = await import('../../src/node/identity/accounts.ts')
  const dir = await mkdtemp(join(tmpdir(), 'oht-console-box-'))
  t.after(async () => { await rm(dir, { recursive: true, force: true }) })
  const me = await createAccount(dir, '', 'me')
  const other = await createAccount(dir, '', 'other')
  const printed: string[] = []
  const ctx = { dataDir: dir, print: (text: string) => { printed.push(text) } } as unknown as Parameters<ConsoleCommand['run']>[0]
  const run = async (name: string, args: string[], options: Record<string, string> = {}): Promise<string> => {
    await COMMANDS.find(c => c.name === name)!.run(ctx, { args, options })
    return printed.at(-1)!
  }
  const box = await run('encrypt', [me.id, 'meet', 'at', 'noon'])
  assert.ok(!box.includes('noon'))
  assert.equal(await run('decrypt', [box], { account: me.id }), 'meet at noon')
  await assert.rejects(run('decrypt', [box], { account: other.id }), /cannot open the sealed box/)
})

test('/set says whether the running daemon applied the key at once or takes it on restart', async () => {
  const set = COMMANDS.find(c => c.name === 'set')!
  for (const [applied, expected] of [[true, catalogs.en['config.appliedLive']], [false, catalogs.en['config.restartNeeded']]] as const) {
    const printed: string[] = []
    const client = { call: async (_m: string, path: string, body: { value: string }) => ({ key: decodeURIComponent(path.split('/')[2]!), value: body.value, applied }) }
    const ctx = { client, print: (text: string) => { printed.push(text) } } as unknown as Parameters<ConsoleCommand['run']>[0]
    await set.run(ctx, { args: ['maxUploadPerPeer', '1MiB'], options: {} })
    assert.equal(printed.at(-1), expected)
  }
})
