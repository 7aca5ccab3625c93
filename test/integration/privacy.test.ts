// Privacy at rest (issue 16), with real daemons on 127.0.0.1 (TCP): after sharing, fetching,
// pinning and DHT traffic, no byte under any data directory names a file, a path, a share id, a
// key, a peer, a node id, an account id or an account's label, and every folder is 0700, every
// file 0600; `oht status` still names the node without opening it; a data directory in the clear
// format of before (state, keystore, account keystore) is sealed on start and keeps seeding; a memory-only daemon and a memory-only fetch
// leave nothing behind but the fetched file (before/after walks of HOME, the default data
// directory and the temp and runtime folders the processes were given).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { Level } from 'level'
import { FsBlockstore } from 'blockstore-fs'
import { base32upper } from 'multiformats/bases/base32'
import { CID } from 'multiformats/cid'
import { blockCid, buildShare, seal } from '../../src/blocks/index.ts'
import { claimCount, claimKeys } from '../../src/node/pins/pin-store.ts'
import { buildRawShare } from '../helpers/raw-share.ts'
import { sealSecret } from '../../src/node/identity/keystore.ts'
import { listTree, NODE_BIN, OHT_BIN, REPO, oht, ohtJson, tempDir, type TestContextLike, type TreeEntry } from '../helpers/cli.ts'
import { startDaemon } from '../helpers/daemon.ts'

interface Share { link: string, verifyCap: string, id: string }

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function filesUnder (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(join(e.parentPath, e.name))
  return out
}

/** What must never be found at rest: as text, and keys also as their raw bytes. */
function needlesOf (s: Share, extra: string[]): Array<{ what: string, bytes: Buffer }> {
  const keyOf = (cap: string): string => cap.slice(cap.indexOf('#') + 1)
  const multihash = CID.parse(s.id).multihash.bytes
  return [
    ...extra.map(x => ({ what: x, bytes: Buffer.from(x) })),
    { what: 'share id', bytes: Buffer.from(s.id) },
    { what: 'share id as a block file name', bytes: Buffer.from(base32upper.encode(multihash)) },
    { what: 'share multihash', bytes: Buffer.from(multihash) },
    { what: 'link key', bytes: Buffer.from(keyOf(s.link)) },
    { what: 'link key (raw)', bytes: Buffer.from(keyOf(s.link), 'base64url') },
    { what: 'verify key', bytes: Buffer.from(keyOf(s.verifyCap)) },
    { what: 'verify key (raw)', bytes: Buffer.from(keyOf(s.verifyCap), 'base64url') }
  ]
}

async function assertNothingFound (dataDir: string, needles: Array<{ what: string, bytes: Buffer }>): Promise<void> {
  const files = await filesUnder(dataDir)
  assert.ok(files.length > 3, `${dataDir} holds files`)
  for (const f of files) {
    const bytes = await readFile(f)
    for (const n of needles) {
      assert.ok(!bytes.includes(n.bytes), `${n.what} found in ${f}`)
      assert.ok(!f.includes(n.bytes.toString('latin1')), `${n.what} names ${f}`)
    }
  }
}

async function assertPrivateModes (dataDir: string): Promise<void> {
  assert.equal((await lstat(dataDir)).mode & 0o777, 0o700, dataDir)
  for (const e of await readdir(dataDir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name)
    const mode = (await lstat(p)).mode & 0o777
    if (e.isDirectory()) assert.equal(mode, 0o700, `${p} is ${mode.toString(8)}`)
    else assert.equal(mode, 0o600, `${p} is ${mode.toString(8)}`)
  }
}

test('at rest, nothing names what a node shared, fetched, pinned or heard; folders 0700, files 0600', { timeout: 900_000 }, async t => {
  const dir = await tempDir(t, 'oht-privacy-')
  const folder = join(dir, 'Zebra Plans Q7X')
  await mkdir(folder)
  await writeFile(join(folder, 'budget-omega-9K.txt'), randomBytes(700_000))
  await writeFile(join(folder, 'minutes-sigma-4J.txt'), randomBytes(300_000))
  // An account beside the node: its id and label must not show either.
  const account = (await ohtJson<{ id: string }>(join(dir, 'owner'), ['account', 'create', '--label', 'Quartermaster Vex'], { env: { OHT_PASSPHRASE: '' } })).value
  const owner = await startDaemon(join(dir, 'owner'), [], 120_000)
  t.after(async () => { await owner.stop() })
  const [fetcher, pinner] = await Promise.all([
    startDaemon(join(dir, 'fetcher'), ['--bootstrap', owner.address], 120_000),
    startDaemon(join(dir, 'pinner'), ['--bootstrap', owner.address], 120_000)
  ])
  t.after(async () => { await fetcher.stop(); await pinner.stop() })

  const s = (await ohtJson<Share>(owner.dataDir, ['share', folder], { timeoutMs: 120_000 })).value
  await ohtJson(fetcher.dataDir, ['fetch', s.link, '--peer', owner.address, '-o', join(dir, 'out')], { timeoutMs: 180_000 })
  assert.equal(sha(await readFile(join(dir, 'out', 'Zebra Plans Q7X', 'budget-omega-9K.txt'))), sha(await readFile(join(folder, 'budget-omega-9K.txt'))))
  await ohtJson(pinner.dataDir, ['pin', s.verifyCap, '--peer', owner.address, '--ttl', '1h'], { timeoutMs: 180_000 })
  // A DHT value stored at the others, and the routing tables they keep.
  const secret = 'rendezvous-at-the-lighthouse-5T'
  await ohtJson(owner.dataDir, ['dht', 'put', '--private', secret], { timeoutMs: 180_000 })
  await Promise.all([owner.stop(), fetcher.stop(), pinner.stop()])

  const needles = [...needlesOf(s, ['Zebra Plans', 'budget-omega', 'minutes-sigma', folder, secret,
    ...[owner, fetcher, pinner].map(d => d.address.replace(/^tcp:/, '')), 'Quartermaster Vex']), ...idNeedles([owner.nodeId, fetcher.nodeId, pinner.nodeId, account.id])]
  for (const d of [owner, fetcher, pinner]) {
    await assertNothingFound(d.dataDir, needles)
    await assertPrivateModes(d.dataDir)
  }
  // The premise: the fetched copy is where the user asked, in clear.
  assert.ok((await readdir(join(dir, 'out'))).includes('Zebra Plans Q7X'))
  // With no daemon, status names the node from its unlocked keystore (the state stays closed).
  assert.equal((await ohtJson<{ nodeId: string, daemon: boolean }>(owner.dataDir, ['status'])).value.nodeId, owner.nodeId)
})

/** Node and account ids: as hex, and as their raw bytes. */
function idNeedles (ids: string[]): Array<{ what: string, bytes: Buffer }> {
  return ids.flatMap(id => [{ what: `id ${id}`, bytes: Buffer.from(id) }, { what: `id ${id} (raw)`, bytes: Buffer.from(id, 'hex') }])
}

/**
 * A data directory as oht wrote it before the sealed store: clear LevelDB, blocks named by
 * multihash, a keystore naming its node id and without a storage key, an account keystore named
 * by its id with its label beside it. It owns the share of `folder`, seeds `fetched` as a
 * finished fetch into its parent folder (the transfer journal's record, the fetch record), and
 * pins `pinned` (its ciphertext blocks, the pin record and the blocks' reference counts).
 */
async function writeClearDataDir (root: string, folder: string, fetched: string, pinned: Uint8Array): Promise<Share & { nodeId: string, accountId: string, fetched: Share, pinned: Share }> {
  await mkdir(join(root, 'blocks'), { recursive: true, mode: 0o700 })
  const { privateKey } = generateKeyPairSync('ed25519')
  const publicKeyRaw = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x!, 'base64url')
  const nodeId = sha(publicKeyRaw)
  const vaultKey = randomBytes(32)
  const secret = Buffer.from(JSON.stringify({ nodeKey: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'), vaultKey: vaultKey.toString('base64') }))
  await writeFile(join(root, 'keystore.json'), JSON.stringify({ version: 1, nodeId, crypto: await sealSecret(secret, '', nodeId) }), { mode: 0o600 })
  const accountKey = generateKeyPairSync('ed25519')
  const accountId = Buffer.from(accountKey.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('hex')
  await mkdir(join(root, 'accounts'), { mode: 0o700 })
  await writeFile(join(root, 'accounts', `${accountId}.json`), JSON.stringify({
    version: 1, kind: 'ed25519', id: accountId, label: 'Harbour Master 6F', createdAt: Date.now(),
    crypto: await sealSecret(accountKey.privateKey.export({ format: 'der', type: 'pkcs8' }), '', accountId)
  }), { mode: 0o600 })

  const built = await buildShare([folder])
  const id = built.manifest.cid.toString()
  const other = await buildShare([fetched])
  const otherId = other.manifest.cid.toString()
  const otherLink = `oht://${otherId}#${Buffer.from(other.contentKey).toString('base64url')}`
  const blocks = new FsBlockstore(join(root, 'blocks'))
  await blocks.open()
  await blocks.put(built.manifest.cid, built.manifest.bytes)
  await blocks.put(other.manifest.cid, other.manifest.bytes)
  const raw = buildRawShare({ plaintext: pinned, name: 'Pinned Scroll 3T', kind: 'file', files: [{ path: 'Pinned Scroll 3T', size: pinned.length }] })
  const pinId = raw.cid.toString()
  await blocks.put(raw.cid, raw.manifestBytes)
  const pinLeaves = Buffer.concat(raw.blocks.map(b => createHash('sha256').update(b).digest()))
  for (const b of raw.blocks) await blocks.put(blockCid(createHash('sha256').update(b).digest()), b)
  await blocks.close()
  const claims = new Map<string, number>()
  for (const k of claimKeys(pinId, pinLeaves, 0, claimCount(pinLeaves))) claims.set(k, (claims.get(k) ?? 0) + 1)
  const rawCaps = (await ohtJson<{ verifyCap: string }>(undefined, ['caps', raw.link], { timeoutMs: 120_000 })).value
  const pin = {
    id: pinId, holder: 'local', swarmKey: rawCaps.verifyCap.slice(rawCaps.verifyCap.indexOf('#') + 1), expiresAt: null, state: 'active',
    bytes: raw.manifestBytes.length + raw.blocks.reduce((n, b) => n + b.length, 0), blockCount: raw.blocks.length, peers: [], createdAt: Date.now(), renewedAt: Date.now()
  }
  const nonce = randomBytes(12)
  const outDir = dirname(fetched)
  const transferId = randomBytes(6).toString('hex')
  const transfer = {
    id: transferId, link: otherLink, output: outDir, peers: [], select: [], overwrite: false, state: 'seeding', name: other.manifest.body.name,
    bytesTotal: other.manifest.header.size, addedAt: Date.now(), finishedAt: Date.now(), uploaded: 0, seededSeconds: 0
  }
  const transferNonce = randomBytes(12)
  const box = Buffer.concat([transferNonce, seal(vaultKey, transferNonce, Buffer.from(JSON.stringify(transfer)), Buffer.from('oht/v2/transfer-record\u0000' + transferId))]).toString('base64')
  const db = new Level<string, unknown>(join(root, 'state'), { valueEncoding: 'json' })
  await db.batch([
    { type: 'put', sublevel: db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' }), key: pinId, value: pinLeaves },
    { type: 'put', sublevel: db.sublevel<string, unknown>('pins', { valueEncoding: 'json' }), key: `${pinId}\u0000local`, value: pin },
    ...[...claims].map(([key, n]) => ({ type: 'put', sublevel: db.sublevel<string, unknown>('block-refs', { valueEncoding: 'json' }), key, value: n })),
    { type: 'put', sublevel: db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' }), key: otherId, value: other.leaves },
    {
      type: 'put',
      sublevel: db.sublevel<string, unknown>('fetches', { valueEncoding: 'json' }),
      key: `${otherId}\u0000${outDir}`,
      value: { id: otherId, outDir, select: [], blocks: [...Array(other.manifest.header.blockCount).keys()], complete: true, updatedAt: Date.now() }
    },
    { type: 'put', sublevel: db.sublevel<string, unknown>('transfers', { valueEncoding: 'json' }), key: transferId, value: { v: 1, box } },
    { type: 'put', sublevel: db.sublevel<string, Uint8Array>('leaves', { valueEncoding: 'view' }), key: id, value: built.leaves },
    { type: 'put', sublevel: db.sublevel<string, Uint8Array>('tags', { valueEncoding: 'view' }), key: id, value: built.tags },
    {
      type: 'put',
      sublevel: db.sublevel<string, unknown>('owned', { valueEncoding: 'json' }),
      key: id,
      value: {
        id, name: built.manifest.body.name, kind: built.manifest.body.kind, bytes: built.manifest.header.size,
        blockCount: built.manifest.header.blockCount, files: built.files, createdAt: Date.now(),
        sealedContentKey: Buffer.concat([nonce, seal(vaultKey, nonce, built.contentKey, Buffer.from(id))]).toString('base64')
      }
    }
  ] as never)
  await db.close()
  const link = `oht://${id}#${Buffer.from(built.contentKey).toString('base64url')}`
  const caps = (await ohtJson<{ verifyCap: string }>(undefined, ['caps', link], { timeoutMs: 120_000 })).value
  const otherCaps = (await ohtJson<{ verifyCap: string }>(undefined, ['caps', otherLink], { timeoutMs: 120_000 })).value
  return { id, link, verifyCap: caps.verifyCap, nodeId, accountId, fetched: { id: otherId, link: otherLink, verifyCap: otherCaps.verifyCap }, pinned: { id: pinId, link: raw.link, verifyCap: rawCaps.verifyCap } }
}

test('a data directory in the clear format of before is sealed on start, once, and keeps seeding', { timeout: 600_000 }, async t => {
  const dir = await tempDir(t, 'oht-privacy-migrate-')
  const folder = join(dir, 'Old Secret Folder 3W')
  await mkdir(folder)
  const data = randomBytes(1_200_000)
  await writeFile(join(folder, 'legacy-ledger-8P.bin'), data)
  const root = join(dir, 'node')
  // A share fetched before, seeded from where it was fetched to.
  const fetchedFolder = join(dir, 'fetched-before', 'Borrowed Atlas 2N')
  await mkdir(fetchedFolder, { recursive: true })
  const atlas = randomBytes(900_000)
  await writeFile(join(fetchedFolder, 'atlas-sheet-5V.bin'), atlas)
  const scroll = randomBytes(200_000)
  const s = await writeClearDataDir(root, folder, fetchedFolder, scroll)
  const before = Buffer.concat(await Promise.all((await filesUnder(root)).map(async f => await readFile(f))))
  assert.ok(before.includes('legacy-ledger-8P') && before.includes(folder), 'the clear format shows names and paths (the premise)')
  assert.ok(before.includes(s.nodeId) && before.includes('Harbour Master 6F'), 'and the node id and the account\'s label (the premise)')
  assert.ok(before.includes(join(dir, 'fetched-before')), 'and where a fetch wrote (the premise)')

  const seeder = await startDaemon(root, [], 120_000)
  t.after(async () => { await seeder.stop() })
  await ohtJson(join(dir, 'leecher'), ['--transport', 'tcp', 'fetch', s.link, '--peer', seeder.address, '-o', join(dir, 'out')], { timeoutMs: 180_000 })
  assert.equal(sha(await readFile(join(dir, 'out', 'Old Secret Folder 3W', 'legacy-ledger-8P.bin'))), sha(data))
  // The fetched share seeds too (the daemon restored its journal from the migrated state).
  await ohtJson(join(dir, 'leecher-f'), ['--transport', 'tcp', 'fetch', s.fetched.link, '--peer', seeder.address, '-o', join(dir, 'out-f')], { timeoutMs: 180_000 })
  assert.equal(sha(await readFile(join(dir, 'out-f', 'Borrowed Atlas 2N', 'atlas-sheet-5V.bin'))), sha(atlas))
  // And the pinned one (ciphertext blocks only, renamed to keyed names).
  await ohtJson(join(dir, 'leecher-p'), ['--transport', 'tcp', 'fetch', s.pinned.link, '--peer', seeder.address, '-o', join(dir, 'out-p')], { timeoutMs: 180_000 })
  assert.equal(sha(await readFile(join(dir, 'out-p', 'Pinned Scroll 3T'))), sha(scroll))
  await seeder.stop()

  assert.deepEqual((await readdir(root)).filter(n => n.startsWith('state')), ['state'], 'no copy of the clear state is left')
  await assertNothingFound(root, [...needlesOf(s, ['legacy-ledger-8P', 'Old Secret Folder', folder, 'Harbour Master 6F', 'fetched-before']), ...needlesOf(s.fetched, []), ...needlesOf(s.pinned, []), ...idNeedles([s.nodeId, s.accountId])])
  await assertPrivateModes(root)
  // The sealed keystores still open: the node keeps its id, the account its id and label.
  assert.equal((await ohtJson<{ nodeId: string }>(root, ['status'])).value.nodeId, s.nodeId)
  const accounts = (await ohtJson<{ accounts: Array<{ id: string, label: string }> }>(root, ['account', 'list'])).value.accounts
  assert.deepEqual(accounts.map(a => [a.id, a.label]), [[s.accountId, 'Harbour Master 6F']])
  // A second start finds the sealed form (and the keystore's new storage key) and seeds again.
  const again = await startDaemon(root, [], 120_000)
  t.after(async () => { await again.stop() })
  const ls = (await ohtJson<{ shares: Array<{ id: string, name: string }> }>(root, ['ls'], { timeoutMs: 120_000 })).value.shares
  assert.deepEqual(ls.map(x => [x.id, x.name]).sort(), [[s.id, 'Old Secret Folder 3W'], [s.fetched.id, 'Borrowed Atlas 2N']].sort(), 'the owned and the fetched share')
  await ohtJson(join(dir, 'leecher2'), ['--transport', 'tcp', 'fetch', s.link, '--peer', again.address, '-o', join(dir, 'out2')], { timeoutMs: 180_000 })
  assert.equal(sha(await readFile(join(dir, 'out2', 'Old Secret Folder 3W', 'legacy-ledger-8P.bin'))), sha(data))
})

/** `oht --memory … daemon` with the given environment, until its listening line. */
async function memoryDaemon (t: TestContextLike, env: NodeJS.ProcessEnv): Promise<{ address: string, api: string, stop: () => Promise<void> }> {
  const proc = spawn(NODE_BIN, [OHT_BIN, '--memory', '--transport', 'tcp', '--listen', '127.0.0.1:0', '--json', 'daemon'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let err = ''
  proc.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<void>(resolve => proc.once('exit', () => { resolve() }))
  const stop = async (): Promise<void> => { if (proc.exitCode == null && proc.signalCode == null) { proc.kill('SIGTERM'); await exited } }
  t.after(stop)
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`memory daemon did not start: ${err}`)) }, 60_000)
    createInterface({ input: proc.stdout }).once('line', l => { clearTimeout(timer); resolve(l) })
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`memory daemon exited with ${code}: ${err}`)) })
  })
  const info = JSON.parse(line) as { address: string, api: string }
  return { ...info, stop }
}

const treeText = (m: Map<string, TreeEntry>): string[] => [...m.keys()]

test('memory-only daemons, a memory-only fetch and a stream leave nothing behind but the fetched files', { timeout: 600_000 }, async t => {
  const dir = await tempDir(t, 'oht-privacy-memory-')
  const home = join(dir, 'home')
  const tmpA = join(dir, 'tmp-daemon')
  const tmpB = join(dir, 'tmp-fetcher')
  for (const d of [home, tmpA, tmpB]) await mkdir(d, { mode: 0o700 })
  const input = join(home, 'holiday-footage-2M.bin')
  const data = randomBytes(1_500_000)
  await writeFile(input, data)
  const base = { HOME: home, XDG_DATA_HOME: undefined, XDG_CONFIG_HOME: undefined, XDG_CACHE_HOME: undefined, XDG_RUNTIME_DIR: undefined, OHT_HOME: undefined }
  const envA = { ...base, TMPDIR: tmpA }
  const envB = { ...base, TMPDIR: tmpB }
  const walk = async (): Promise<{ home: string[], tmpA: string[], tmpB: string[] }> => ({ home: treeText(await listTree(home)), tmpA: treeText(await listTree(tmpA)), tmpB: treeText(await listTree(tmpB)) })
  const before = await walk()

  const childEnv = (env: Record<string, string | undefined>): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, OHT_PASSPHRASE: undefined }
    for (const [k, v] of Object.entries(env)) { if (v === undefined) delete e[k]; else e[k] = v }
    return e
  }
  const daemon = await memoryDaemon(t, childEnv(envA))
  assert.ok(daemon.api.startsWith(tmpA), `the API socket is in the private runtime folder: ${daemon.api}`)
  assert.equal((await lstat(daemon.api)).mode & 0o777, 0o600, 'the API socket is 0600')
  assert.equal((await lstat(join(daemon.api, '..'))).mode & 0o777, 0o700)
  // `oht --memory share` reaches the memory daemon; a memory fetch elsewhere gets it over TCP.
  const s = (await ohtJson<Share>(undefined, ['--memory', 'share', input], { env: envA, timeoutMs: 120_000 })).value
  const out = join(home, 'Downloads')
  const got = await oht(undefined, ['--memory', '--transport', 'tcp', 'fetch', s.link, '--peer', daemon.address, '-o', out], { env: envB, timeoutMs: 90_000 })
  assert.equal(got.code, 0, got.stderr)
  assert.equal(sha(await readFile(join(out, 'holiday-footage-2M.bin'))), sha(data))
  // A second memory daemon streams it (`oht --memory stream` reaches it): the stream's bytes over HTTP.
  const streamer = await memoryDaemon(t, childEnv(envB))
  const streamed = join(home, 'Streamed')
  const { url } = (await ohtJson<{ url: string }>(undefined, ['--memory', 'stream', s.link, '--peer', daemon.address, '-o', streamed], { env: envB, timeoutMs: 90_000 })).value
  const body = Buffer.from(await (await fetch(url)).arrayBuffer())
  assert.equal(sha(body), sha(data), 'the stream plays the file')
  await streamer.stop()
  await daemon.stop()

  const after = await walk()
  assert.deepEqual(after.tmpA, before.tmpA, 'the daemon\'s runtime folder is gone')
  assert.deepEqual(after.tmpB, before.tmpB, 'the fetcher and the streamer left nothing in their temp folder')
  // Only what was asked for is new under HOME (no data directory, no config): the fetched file,
  // and the stream's output (whole, or still a .part if the streamer stopped before its rename).
  const fresh = after.home.filter(p => !before.home.includes(p))
  assert.deepEqual(fresh.filter(p => !p.startsWith('Streamed')), ['Downloads', 'Downloads/holiday-footage-2M.bin'])
  for (const p of fresh.filter(x => x.startsWith('Streamed/'))) assert.match(p, /^Streamed\/holiday-footage-2M\.bin(\.part)?$/)
})
