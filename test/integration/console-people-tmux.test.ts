// The console's contact commands in real 80×24 terminals (tmux) against two TCP daemons, each
// running for its own account: bob's /request shows as an event above alice's prompt, alice
// /accepts it (the request's account completed by Tab), bob sees the acceptance; a /whisper
// (the petname completed by Tab) shows on alice's console, a /contactcast on bob's; an escape sequence in a message is
// shown inert; /contacts lists presence; an unknown petname is one clear error; /send and /receive
// move a file by an invite code from console to console; /invite makes a contact by a code,
// /introduce shows on the other console, /mailbox reads the mailboxes; /rm --block removes a contact.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { oht, ohtJson, tempDir } from '../helpers/cli.ts'
import { ended, fits, prompt, startConsole, tmux, type, waitForFrame } from '../helpers/tmux.ts'
import { createAccounts, startDaemon } from '../helpers/daemon.ts'

const flat = (frame: string): string => frame.replace(/\n/g, '')

test('contacts, whispers and invite codes from console to console', async t => {
  const dir = await tempDir(t, 'oht-console-people-')
  const ids: Record<string, string> = {}
  Object.assign(ids, await createAccounts(dir, ['alice', 'bob', 'carol']))
  const alice = await startDaemon(join(dir, 'alice'), [], 60_000, ['--presence-interval', '2s'])
  t.after(async () => { await alice.stop() })
  const bob = await startDaemon(join(dir, 'bob'), ['--bootstrap', alice.address], 60_000, ['--presence-interval', '2s'])
  t.after(async () => { await bob.stop() })
  const carol = await startDaemon(join(dir, 'carol'), ['--bootstrap', alice.address])
  t.after(async () => { await carol.stop() })

  const a = await startConsole(t, 'people-a', dir, ['--data-dir', alice.dataDir, '--lang', 'en'])
  const b = await startConsole(t, 'people-b', dir, ['--data-dir', bob.dataDir, '--lang', 'en'])
  await waitForFrame(a, 'alice\'s prompt', 30_000, f => f.includes(alice.nodeId.slice(0, 8)) && /^oht>/m.test(f))
  await waitForFrame(b, 'bob\'s prompt', 30_000, f => f.includes(bob.nodeId.slice(0, 8)) && /^oht>/m.test(f))

  // bob asks by account id only: alice's node is found through her DHT locator record.
  await type(b, `/request ${ids.alice} "hi, it's Bob" --name ally`)
  await waitForFrame(b, 'the request delivered', 60_000, f => f.includes('request delivered; ally becomes a contact when it accepts'))
  await waitForFrame(a, 'the request event on alice\'s console', 20_000, f => flat(f).includes(`contact request from ${ids.bob} "hi, it's Bob": /accept or /reject it`))

  // The waiting request's account is offered by Tab.
  await type(a, '/accept ', false)
  await tmux('send-keys', '-t', a, 'Tab')
  await waitForFrame(a, 'the request completed', 10_000, f => flat(f).includes(`/accept ${ids.bob}`))
  await type(a, '--name bobby')
  await waitForFrame(a, 'the acceptance', 20_000, f => f.includes('bobby is a contact (and was told)'))
  await waitForFrame(b, 'the acceptance event on bob\'s console', 20_000, f => f.includes('ally accepted: now a contact'))

  // A whisper to a petname completed by Tab shows above alice's prompt.
  await type(b, '/whisper al', false)
  await tmux('send-keys', '-t', b, 'Tab')
  await waitForFrame(b, 'the petname completed', 10_000, f => prompt(f) === 'oht> /whisper ally')
  await type(b, 'meet at noon, the blue door')
  await waitForFrame(b, 'the whisper delivered', 20_000, f => f.includes('delivered to ally'))
  const shown = await waitForFrame(a, 'the whisper on alice\'s console', 20_000, f => f.includes('bobby: meet at noon, the blue door'))
  assert.ok(fits(shown), 'fits 80×24')

  // Another person's escape sequence is shown, not obeyed (the CLI sends it: a console line cannot hold ESC).
  const w = await oht(bob.dataDir, ['whisper', 'ally', '\x1b[2J\x1b[31mred\x07'])
  assert.equal(w.code, 0, w.stderr)
  await waitForFrame(a, 'the inert escape sequence', 20_000, f => f.includes('bobby: \ufffd[2J\ufffd[31mred\ufffd'))

  await type(a, '/contactcast hello, everyone')
  await waitForFrame(a, 'the contactcast delivered', 20_000, f => f.includes('delivered to bobby'))
  await waitForFrame(b, 'the contactcast on bob\'s console', 20_000, f => f.includes('ally: hello, everyone'))

  await type(a, '/contacts')
  await waitForFrame(a, 'the contact list', 10_000, f => /^bobby {2}online {2}[0-9a-f]{12}…/m.test(f) && f.includes(`account ${ids.alice}`))
  await type(a, '/whisper bobby')
  await waitForFrame(a, 'the conversation', 10_000, f => / bobby: meet at noon, the blue door$/m.test(f.split('\n').map(l => l.trimEnd()).join('\n')))

  await type(a, '/whisper nobody hello?')
  await waitForFrame(a, 'the unknown petname error', 10_000, f => f.includes('oht: error: no contact "nobody"'))
  await type(a, '/accept')
  await waitForFrame(a, 'the missing argument', 10_000, f => /oht: error: .*account/.test(f) && f.includes('/accept <account> [--name <name>]'))

  // Invite codes: alice /sends a file, bob /receives it byte-identical.
  await writeFile(join(dir, 'notes.bin'), randomBytes(200 * 1024))
  await type(a, '/send notes.bin')
  const sent = await waitForFrame(a, 'the invite code', 30_000, f => /code: \d+-[a-z]+-[a-z]+ {2}\(notes\.bin/.test(f))
  const code = /code: (\d+-[a-z]+-[a-z]+)/.exec(sent)![1]!
  await type(b, `/receive ${code} got`)
  await waitForFrame(b, 'the received file', 60_000, f => /notes\.bin \(200\.00 KiB in [\d.]+ s, from 1 peer\)/.test(flat(f)) || flat(f).includes('got/notes.bin'))
  assert.deepEqual(await readFile(join(dir, 'got', 'notes.bin')), await readFile(join(dir, 'notes.bin')))
  await type(b, `/receive ${code} again`)
  await waitForFrame(b, 'a used code refused', 30_000, f => /oht: error: .*code/.test(f))

  // A contact invite code from alice's console, used by carol; alice then introduces carol to bob.
  await type(a, '/invite --name carol')
  const invited = await waitForFrame(a, 'the contact invite code', 30_000, f => /code: \d+-[a-z]+-[a-z]+ {2}\(single use/.test(f))
  const inviteCode = /code: (\d+-[a-z]+-[a-z]+) {2}\(single use/.exec(invited)![1]!
  const joined = await ohtJson<{ contact: { petname: string } }>(carol.dataDir, ['contact', 'invite', inviteCode, '--name', 'alice'], { timeoutMs: 90_000 })
  assert.equal(joined.value.contact.petname, 'alice')
  await waitForFrame(a, 'carol accepted through the code', 20_000, f => f.includes('carol accepted: now a contact'))
  await type(a, '/introduce carol bobby')
  await waitForFrame(a, 'the introduction sent', 30_000, f => f.includes('introduced carol and bobby to each other'))
  await waitForFrame(b, 'the introduction on bob\'s console', 20_000, f => flat(f).includes(`ally introduced ${ids.carol}: /request it to ask`))
  await type(b, '/mailbox')
  await waitForFrame(b, 'the mailbox read', 30_000, f => /\d+ new messages? from the mailboxes/.test(f))

  await type(a, '/rm bobby --block')
  await waitForFrame(a, 'the contact removed', 10_000, f => f.includes('bobby removed and blocked'))
  await type(a, '/contacts')
  const after = (f: string): string => f.slice(f.lastIndexOf('oht> /contacts'))
  const left = await waitForFrame(a, 'carol left, bobby gone', 10_000, f => /^carol {2}\w+/m.test(after(f)))
  assert.doesNotMatch(after(left), /^bobby /m)

  await type(a, '/quit')
  await type(b, '/quit')
  assert.equal(await ended(a, 10_000), true)
  assert.equal(await ended(b, 10_000), true)
})
