// The crash-consistency loop (issue 22): a daemon kill -9'd at random moments of share, unshare,
// fetch, pin, unpin and pin sweep, restarted each time. After every restart the state must open,
// everything the daemon acknowledged must still be there (and what it acknowledged removing must
// stay gone), the pin reference counts must be exact; at the end every fetched file and every
// owned share (fetched back from the victim) must be byte-identical. A model of what was
// acknowledged is kept here; operations cut off by the kill may land either way, and are adopted
// as whatever the restarted daemon says.
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { NODE_BIN, OHT_BIN, REPO } from './cli.ts'
import { startDaemon, type Daemon } from './daemon.ts'
import { DaemonClient } from '../../src/node/api/client.ts'
import type { PinInfo } from '../../src/node/pins/index.ts'
import { seededRandom as rng } from '../../src/onion/tor/testnet/wan.ts'

export interface CrashLoopOptions {
  dir: string
  rounds: number
  seed: number
  log?: (line: string) => void
}

export interface CrashLoopReport {
  rounds: number
  /** Operations the daemon acknowledged before a kill, by kind. */
  acknowledged: Record<string, number>
  /** Operations cut off by a kill, by kind. */
  interrupted: Record<string, number>
  /** Files checked byte for byte at the end (fetched outputs, owned shares fetched back). */
  filesChecked: number
  /** Pins with a long lease seen active (all their blocks held) at the end. */
  pinsActive: number
}


const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

interface Victim { proc: ChildProcess, address: string, client: DaemonClient, exited: Promise<void>, stderr: () => string }

let compileCache: string | undefined
/** One V8 compile cache for the victim's many starts (they dominate the loop's time). */
function cacheDir (): string {
  if (compileCache == null) {
    const dir = mkdtempSync(join(tmpdir(), 'oht-crash-cache-'))
    process.once('exit', () => { rmSync(dir, { recursive: true, force: true }) })
    compileCache = dir
  }
  return compileCache
}

const running = new Set<ChildProcess>()
process.on('exit', () => { for (const p of running) p.kill('SIGKILL') })

/** Starts the victim daemon; rejects with its stderr when it exits instead (the state did not open). */
async function startVictim (dataDir: string): Promise<Victim> {
  const proc = spawn(NODE_BIN, [OHT_BIN, '--data-dir', dataDir, '--transport', 'tcp', '--listen', '127.0.0.1:0', '--json', 'daemon'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OHT_PASSPHRASE: undefined, OHT_HOME: undefined, NODE_OPTIONS: undefined, NODE_TEST_CONTEXT: undefined, NODE_COMPILE_CACHE: cacheDir() }
  })
  running.add(proc)
  let err = ''
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString() })
  const exited = new Promise<void>(resolve => proc.once('exit', () => { running.delete(proc); resolve() }))
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`the daemon did not start in 60 s: ${err}`)) }, 60_000)
    createInterface({ input: proc.stdout! }).once('line', l => { clearTimeout(timer); resolve(l) })
    proc.once('exit', code => { clearTimeout(timer); reject(new Error(`the daemon exited with ${String(code)} at start: ${err}`)) })
  })
  const { address } = JSON.parse(line) as { address: string }
  return { proc, address, client: new DaemonClient(join(dataDir, 'api.sock')), exited, stderr: () => err }
}

interface OwnedModel { id: string, name: string, link: string, sha: string, state: 'present' | 'maybe' | 'gone' | 'maybe-gone' }
interface TransferModel { id: string | undefined, output: string, name: string, sha: string, acked: boolean }
interface RemoteShare { id: string, link: string, verifyCap: string, name: string, sha: string }
interface PinModel { shareId: string, expiresAt: number | null, state: 'present' | 'maybe' | 'gone' | 'maybe-gone' }

export async function runCrashLoop (o: CrashLoopOptions): Promise<CrashLoopReport> {
  const random = rng(o.seed)
  const log = o.log ?? (() => {})
  const pick = <T>(xs: readonly T[]): T | undefined => xs.length === 0 ? undefined : xs[Math.floor(random() * xs.length)]
  const acknowledged: Record<string, number> = {}
  const interrupted: Record<string, number> = {}
  const count = (m: Record<string, number>, k: string): void => { m[k] = (m[k] ?? 0) + 1 }
  const src = join(o.dir, 'src')
  await mkdir(src, { recursive: true })

  // The seeder: a stable daemon holding the shares the victim pins (three) and fetches (a new one
  // per fetch: a node feeds one output per share).
  const seeder: Daemon = await startDaemon(join(o.dir, 'seeder'))
  const seederClient = new DaemonClient(join(seeder.dataDir, 'api.sock'))
  let remoteFiles = 0
  const seed = async (): Promise<RemoteShare> => {
    const name = `remote-${remoteFiles++}.bin`
    const data = randomBytes(512 * 1024 + Math.floor(random() * 2 * 1024 * 1024))
    await writeFile(join(src, name), data)
    const r = await seederClient.share([join(src, name)], {})
    return { id: r.id, link: r.link, verifyCap: r.verifyCap, name, sha: sha(data) }
  }
  const remote: RemoteShare[] = []
  for (let i = 0; i < 3; i++) remote.push(await seed())

  const victimDir = join(o.dir, 'victim')
  const owned: OwnedModel[] = []
  const transfers: TransferModel[] = []
  const pins = new Map<string, PinModel>()
  let victim: Victim | undefined
  let files = 0
  let pinsActive = 0

  try {
    for (let round = 0; round < o.rounds; round++) {
      // 1 to 4 operations at once, their inputs made first (files to share, the seeder's shares
      // to fetch), so that the kill falls among the victim's own work.
      const kinds = Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(['share', 'share', 'unshare', 'fetch', 'fetch', 'pin', 'unpin', 'sweep'] as const)!)
      const inputs = await Promise.all(kinds.map(async (kind, k) => {
        if (kind === 'fetch') return await seed()
        if (kind !== 'share') return undefined
        const name = `own-${round}-${k}.bin`
        const data = randomBytes(16 * 1024 + Math.floor(random() * 1024 * 1024))
        await writeFile(join(src, name), data)
        return { name, sha: sha(data) }
      }))

      const t0 = Date.now()
      victim = await startVictim(victimDir)
      const t1 = Date.now()
      await check(victim, round)
      const t2 = Date.now()
      const v = victim
      let killed = false
      // One operation per share and round: two at once (a pin and an unpin) could land in either order.
      const busy = new Set<string>()
      const free = <T extends { id?: string, shareId?: string }>(xs: T[]): T[] => xs.filter(x => !busy.has(x.id ?? x.shareId ?? ''))
      const ops = kinds.map((kind, k): Promise<void> | undefined => {
        const input = inputs[k]
        let run: (() => Promise<void>) | undefined
        if (kind === 'share' && input != null) {
          const m: OwnedModel = { id: '', name: input.name, link: '', sha: input.sha, state: 'maybe' }
          owned.push(m)
          run = async () => {
            const r = await v.client.share([join(src, input.name)], {})
            Object.assign(m, { id: r.id, link: r.link, state: 'present' })
          }
        } else if (kind === 'unshare') {
          const m = pick(free(owned.filter(x => x.state === 'present')))
          if (m != null) {
            busy.add(m.id)
            m.state = 'maybe-gone'
            run = async () => { await v.client.unshare(m.id); m.state = 'gone' }
          }
        } else if (kind === 'fetch' && input != null && 'link' in input) {
          const m: TransferModel = { id: undefined, output: join(o.dir, 'out', `${round}-${k}`), name: input.name, sha: input.sha, acked: false }
          transfers.push(m)
          run = async () => {
            const t = await v.client.addTransfer(input.link, { output: m.output, peers: [seeder.address] })
            m.id = t.id
            m.acked = true
          }
        } else if (kind === 'pin') {
          const r = pick(free(remote))
          if (r != null) {
            busy.add(r.id)
            // Short leases so that sweeps run during the loop, long ones that must survive.
            const ttlMs = random() < 0.5 ? 500 + Math.floor(random() * 3000) : 3_600_000
            const before = pins.get(r.id)
            pins.set(r.id, { shareId: r.id, expiresAt: before?.expiresAt ?? null, state: before?.state === 'present' ? 'present' : 'maybe' })
            run = async () => {
              const p = await v.client.call('POST', '/pins/pin', { capability: r.verifyCap, ttlMs, peers: [seeder.address] }) as PinInfo
              pins.set(r.id, { shareId: r.id, expiresAt: p.expiresAt, state: 'present' })
            }
          }
        } else if (kind === 'unpin') {
          const m = pick(free([...pins.values()].filter(x => x.state === 'present')))
          if (m != null) {
            busy.add(m.shareId)
            m.state = 'maybe-gone'
            run = async () => { await v.client.pins.unpin(m.shareId); m.state = 'gone' }
          }
        } else if (kind === 'sweep') {
          run = async () => { await v.client.pins.sweep() }
        }
        return run?.().then(() => { count(acknowledged, kind) }, (err: Error) => {
          if (!killed) throw new Error(`round ${round}: ${kind} failed while the daemon ran: ${err.message}\n${v.stderr()}`)
          count(interrupted, kind)
        })
      }).filter(p => p != null)
      const all = Promise.all(ops)
      // The kill, after a random delay: among the calls, or among the work they left running
      // (a transfer or a pin fetching, a sweep collecting, a share being announced).
      await new Promise(resolve => setTimeout(resolve, Math.floor(random() * 2000)))
      killed = true
      victim.proc.kill('SIGKILL')
      await victim.exited
      // Every call must settle once its daemon is gone: a client that waits for ever is a finding.
      let hung: NodeJS.Timeout | undefined
      await Promise.race([all, new Promise((_resolve, reject) => {
        hung = setTimeout(() => { reject(new Error(`round ${round}: a call (${kinds.join(', ')}) never settled after its daemon was killed`)) }, 30_000)
      })]).finally(() => { clearTimeout(hung) })
      log(`round ${round} (start ${t1 - t0} ms, check ${t2 - t1} ms, ran ${Date.now() - t2} ms): ${kinds.join(', ')}; acknowledged ${JSON.stringify(acknowledged)}, interrupted ${JSON.stringify(interrupted)}`)
    }

    // The last start: everything finishes, and every byte is checked.
    victim = await startVictim(victimDir)
    await check(victim, o.rounds)
    const last = victim
    for (const m of transfers.filter(t => t.id != null)) {
      await until(`transfer ${m.output} to finish`, 120_000, async () => {
        const t = (await last.client.transfers()).find(x => x.id === m.id)
        if (t == null) throw new Error(`transfer ${m.output} is gone`)
        if (t.state === 'failed') throw new Error(`transfer ${m.output} failed: ${t.error ?? ''}`)
        return t.state === 'seeding' || t.state === 'complete' ? true : undefined
      })
      const bytes = await readFile(join(m.output, m.name))
      if (sha(bytes) !== m.sha) throw new Error(`fetched file ${m.output}/${m.name} differs from its source`)
      files++
    }
    // Pins cut off while fetching resume by themselves: every one with a long lease gets all its blocks.
    for (const m of [...pins.values()].filter(x => x.state === 'present' && (x.expiresAt == null || x.expiresAt > Date.now() + 60_000))) {
      await until(`pin of ${m.shareId} to be active`, 120_000, async () => {
        const p = (await last.client.pins.list()).find(x => x.id === m.shareId && x.holder === 'local')
        if (p == null) throw new Error(`pin of ${m.shareId} is gone`)
        return p.state === 'active' ? true : undefined
      })
      pinsActive++
    }
    for (const m of owned.filter(x => x.state === 'present')) {
      const out = join(o.dir, 'back', m.id)
      const r = await seederClient.fetch(m.link, { output: out, peers: [last.address] })
      const bytes = await readFile(r.path)
      if (sha(bytes) !== m.sha) throw new Error(`owned share ${m.id} served bytes that differ from its file`)
      files++
    }
    return { rounds: o.rounds, acknowledged, interrupted, filesChecked: files, pinsActive }
  } finally {
    if (victim != null && victim.proc.exitCode == null && victim.proc.signalCode == null) {
      victim.proc.kill('SIGTERM')
      await victim.exited
    }
    await seeder.stop()
  }

  /** What must hold after every restart; operations cut off by the kill are adopted as found. */
  async function check (v: Victim, round: number): Promise<void> {
    const fail = (what: string): never => { throw new Error(`after restart ${round} (seed ${o.seed}): ${what}`) }
    const listed = new Map((await v.client.list()).map(s => [s.id, s]))
    for (const m of owned) {
      if (m.id === '') {
        // A share cut off before its answer: adopted by its file's name if it landed.
        const s = [...listed.values()].find(x => x.role === 'owner' && x.name === m.name)
        if (s?.link == null) { m.state = 'gone'; continue }
        m.id = s.id
        m.link = s.link
      }
      const s = listed.get(m.id)
      if (m.state === 'present' && (s == null || s.role !== 'owner')) fail(`acknowledged share ${m.id} is gone`)
      if (m.state === 'gone' && s?.role === 'owner') fail(`unshared ${m.id} came back`)
      if (s?.broken != null) fail(`share ${m.id} is marked broken: ${s.broken}`)
      if (m.state === 'maybe' || m.state === 'maybe-gone') m.state = s?.role === 'owner' ? 'present' : 'gone'
    }
    const listedTransfers = await v.client.transfers()
    for (const m of transfers) {
      const t = m.id != null ? listedTransfers.find(x => x.id === m.id) : listedTransfers.find(x => x.output === m.output)
      if (m.acked && t == null) fail(`acknowledged transfer into ${m.output} is gone`)
      if (t != null) m.id = t.id
      if (t?.state === 'failed') fail(`transfer into ${m.output} failed: ${t.error ?? ''}`)
      if (t != null && (t.state === 'seeding' || t.state === 'complete')) {
        const bytes = await readFile(join(m.output, m.name)).catch(() => fail(`completed transfer ${m.output} has no file`))
        if (sha(bytes) !== m.sha) fail(`completed transfer ${m.output} is not byte-identical`)
      }
    }
    const now = Date.now()
    // A pin being collected (its lease ended, the sweep cut off) is listed too, without a lease: not a live pin.
    const listedPins = new Map((await v.client.pins.list()).filter(p => p.holder === 'local' && p.state !== 'collecting').map(p => [p.id, p]))
    for (const m of pins.values()) {
      const p = listedPins.get(m.shareId)
      const live = m.expiresAt == null || m.expiresAt > now + 1000
      if (m.state === 'present' && live && p == null) fail(`acknowledged pin of ${m.shareId} (lease to ${String(m.expiresAt)}) is gone`)
      if (m.state === 'gone' && p != null) fail(`unpinned ${m.shareId} came back`)
      if (m.state === 'maybe' || m.state === 'maybe-gone' || (m.state === 'present' && p == null)) {
        m.state = p != null ? 'present' : 'gone'
        m.expiresAt = p?.expiresAt ?? null
      }
      if (p != null) m.expiresAt = p.expiresAt
    }
    const audit = await v.client.pins.audit()
    if (audit.wrong.length > 0) fail(`pin reference counts are wrong: ${JSON.stringify(audit.wrong.slice(0, 5))}`)
  }
}

async function until (what: string, ms: number, probe: () => Promise<true | undefined>): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await probe() === true) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}
