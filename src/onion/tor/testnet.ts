// A private Tor network on 127.0.0.1 for tests, benchmarks and `oht demo --transport tor`:
// four directory authorities that are also the relays (onion services need four relays: service
// circuits are four hops and never repeat a relay), and client tors started on demand, one per
// oht node. Nothing of it touches the real Tor network. Every process is started through
// startTor(), so each dies with our control connection (TAKEOWNERSHIP) or our pid; stop()
// ends them all in order.
//
// Authority keys (3072-bit RSA, ~1.6 s CPU each) are cached between runs in a directory under
// the system temp dir; they are test-only secrets and never belong in the repository.
import { spawn } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTor, TorStartError, type TorProcess } from './process.ts'

export interface TestNetworkOptions {
  /** Parent of the network's data directories; default a fresh directory under the system temp dir. */
  root?: string
  /** Where authority keys are cached between runs; default `<tmpdir>/oht-tornet-keys-v1`; null disables. */
  keyCache?: string | null
  torPath?: string
  /** Bound on the wait for a consensus that lists every relay; default 90 s. */
  consensusTimeoutMs?: number
}

const AUTHORITIES = 4
/** Voting every 10 s: a first consensus within ~20 s of start, instead of the real network's hour. */
const VOTING_INTERVAL_S = 10

/** torrc lines every tor of the network shares (authorities and clients). */
function commonConfig (dirAuthorityLines: string[], emptyGeoIp: string): string[] {
  return [
    'TestingTorNetwork 1',
    ...dirAuthorityLines,
    'OutboundBindAddress 127.0.0.1',
    // With four relays tor must not wait for the usual share of paths before building circuits.
    'PathsNeededToBuildCircuits 0.67',
    'TestingDirAuthVoteGuard *',
    'TestingDirAuthVoteHSDir *',
    'V3AuthNIntervalsValid 2',
    // Tor's scheduler ticks every 10 ms by default: ~96 ms round trips over six loopback hops.
    'KISTSchedRunInterval 1',
    `GeoIPFile ${emptyGeoIp}`,
    `GeoIPv6File ${emptyGeoIp}`,
    'SafeLogging 0'
  ]
}

interface Authority {
  name: string
  dir: string
  orPort: number
  dirPort: number
  v3Ident: string
  fingerprint: string
}

export class TorTestNetwork {
  readonly root: string
  readonly #authorities: Authority[]
  readonly #authorityTors: TorProcess[] = []
  readonly #clients = new Set<TorProcess>()
  readonly #config: string[]
  readonly #torPath: string | undefined
  readonly #ownsRoot: boolean
  #clientCount = 0
  #stopping: Promise<void> | null = null

  private constructor (root: string, ownsRoot: boolean, authorities: Authority[], config: string[], torPath: string | undefined) {
    this.root = root
    this.#ownsRoot = ownsRoot
    this.#authorities = authorities
    this.#config = config
    this.#torPath = torPath
  }

  /** Boots the network and resolves once every authority serves a consensus with all relays (~15–25 s). */
  static async start (options: TestNetworkOptions = {}): Promise<TorTestNetwork> {
    const root = options.root ?? await mkdtemp(join(tmpdir(), 'oht-tornet-'))
    await mkdir(root, { recursive: true, mode: 0o700 })
    const emptyGeoIp = join(root, 'geoip-empty')
    await writeFile(emptyGeoIp, '')
    const ports = await freePorts(AUTHORITIES * 2)
    const cache = options.keyCache === undefined ? join(tmpdir(), 'oht-tornet-keys-v1') : options.keyCache
    const authorities = await Promise.all(Array.from({ length: AUTHORITIES }, async (_, i) => {
      const name = `auth${i}`
      const dir = join(root, name)
      await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 })
      await authorityKeys(dir, name, cache, options.torPath)
      const certificate = await readFile(join(dir, 'keys', 'authority_certificate'), 'utf8')
      const v3Ident = /^fingerprint ([0-9A-F]{40})$/m.exec(certificate)?.[1]
      const fingerprint = (await readFile(join(dir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1]
      if (v3Ident === undefined || fingerprint === undefined) throw new TorStartError(`cannot read the keys of ${name}`)
      return { name, dir, orPort: ports[2 * i]!, dirPort: ports[2 * i + 1]!, v3Ident, fingerprint }
    }))
    const dirAuthorityLines = authorities.map(a =>
      `DirAuthority ${a.name} orport=${a.orPort} no-v2 v3ident=${a.v3Ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`)
    const config = commonConfig(dirAuthorityLines, emptyGeoIp)
    const network = new TorTestNetwork(root, options.root === undefined, authorities, config, options.torPath)
    try {
      await Promise.all(authorities.map(async a => {
        const tor = await startTor({
          dataDir: a.dir,
          torPath: options.torPath,
          config: [...config, ...authorityConfig(a)]
        })
        network.#authorityTors.push(tor)
      }))
      await network.#waitForConsensus(options.consensusTimeoutMs ?? 90_000)
      return network
    } catch (err) {
      await network.stop()
      throw err
    }
  }

  /** torrc lines a client tor needs to join this network (for TorTransport `{ kind: 'own', config }`). */
  clientConfig (): string[] {
    return [...this.#config, 'ClientOnly 1']
  }

  /** Control ports of the authorities (to observe the network in tests). */
  get authorityControlPorts (): number[] { return this.#authorityTors.map(t => t.controlPort) }

  /** Starts one more client tor (one per oht node) and waits for its bootstrap. */
  async startClient (): Promise<TorProcess> {
    if (this.#stopping !== null) throw new TorStartError('the test network is stopping')
    const tor = await startTor({ dataDir: join(this.root, `client${this.#clientCount++}`), torPath: this.#torPath, config: this.clientConfig() })
    this.#clients.add(tor)
    void tor.exited.then(() => { this.#clients.delete(tor) })
    try {
      await tor.waitForBootstrap({ timeoutMs: 60_000 })
    } catch (err) {
      await tor.close()
      throw new TorStartError(`a client tor did not bootstrap: ${(err as Error).message}\n${tor.log()}`, { cause: err })
    }
    return tor
  }

  /** Stops every tor this network started (clients first) and removes its directories. Idempotent. */
  async stop (): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.#clients].map(async t => { await t.close() }))
      await Promise.all(this.#authorityTors.map(async t => { await t.close() }))
      if (this.#ownsRoot) await rm(this.root, { recursive: true, force: true })
    })()
    await this.#stopping
  }

  /**
   * Polls every authority until its consensus lists all relays with their microdescriptors.
   * Clients started before that sit in a 10–30 s download backoff, so this wait pays for itself.
   */
  async #waitForConsensus (timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let status = 'no answer yet'
    for (;;) {
      const states = await Promise.all(this.#authorityTors.map(async tor => {
        try {
          const info = await tor.control.getInfo('ns/all', 'md/all')
          const relays = (info.get('ns/all') ?? '').split('\n').filter(l => l.startsWith('r ')).length
          const micro = (info.get('md/all') ?? '').split('\n').filter(l => l.startsWith('onion-key')).length
          return { relays, micro }
        } catch {
          return { relays: 0, micro: 0 } // 551: no consensus yet
        }
      }))
      status = states.map(s => `${s.relays} relays/${s.micro} microdescs`).join(', ')
      if (states.every(s => s.relays >= AUTHORITIES && s.micro >= AUTHORITIES)) return
      if (Date.now() > deadline) throw new TorStartError(`the test network has no complete consensus after ${timeoutMs} ms (${status})`)
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }
}

function authorityConfig (a: Authority): string[] {
  return [
    `Nickname ${a.name}`,
    'Address 127.0.0.1',
    `ORPort 127.0.0.1:${a.orPort}`,
    `DirPort 127.0.0.1:${a.dirPort}`,
    'AssumeReachable 1',
    'ExitRelay 0',
    'ExitPolicy reject *:*',
    'AuthoritativeDirectory 1',
    'V3AuthoritativeDirectory 1',
    `V3AuthVotingInterval ${VOTING_INTERVAL_S}`,
    'V3AuthVoteDelay 2',
    'V3AuthDistDelay 2',
    `TestingV3AuthInitialVotingInterval ${VOTING_INTERVAL_S}`,
    'TestingV3AuthInitialVoteDelay 2',
    'TestingV3AuthInitialDistDelay 2',
    'ServerDNSResolvConfFile /dev/null',
    'ServerDNSDetectHijacking 0',
    'ContactInfo oht test network <nobody@localhost>'
  ]
}

/** Puts authority keys in `<dir>/keys` and the relay fingerprint in `<dir>/fingerprint`, from the cache when possible. */
async function authorityKeys (dir: string, name: string, cache: string | null, torPath: string | undefined): Promise<void> {
  const keys = join(dir, 'keys')
  const cached = cache === null ? null : join(cache, name)
  if (cached !== null) {
    try {
      await cp(cached, dir, { recursive: true })
      await readFile(join(dir, 'fingerprint'))
      return
    } catch { /* not cached yet */ }
  }
  // No -a: the certificate then names no address, so cached keys stay valid whatever ports a run gets.
  await run('tor-gencert', ['--create-identity-key', '--passphrase-fd', '0', '-i', join(keys, 'authority_identity_key'),
    '-s', join(keys, 'authority_signing_key'), '-c', join(keys, 'authority_certificate'), '-m', '12'], dir, '\n')
  const listed = await run(torPath ?? 'tor', ['--list-fingerprint', '--ORPort', '1', '--DataDirectory', dir, '-f', '/dev/null', '--ignore-missing-torrc'], dir)
  // Last line: "Unnamed ABCD 1234 ..." (the RSA identity fingerprint in groups of four).
  const m = /^\S+ ((?:[0-9A-F]{4} ?){10})\s*$/m.exec(listed)
  if (m === null) throw new TorStartError(`cannot read the relay fingerprint of ${name}: ${listed}`)
  await writeFile(join(dir, 'fingerprint'), `${name} ${m[1]!.replace(/ /g, '')}\n`)
  if (cached !== null) {
    // Copy into a private temp name, then rename: a concurrent run never sees half a cache entry.
    const staging = `${cached}.${process.pid}.tmp`
    await mkdir(join(staging, 'keys'), { recursive: true, mode: 0o700 })
    await cp(keys, join(staging, 'keys'), { recursive: true })
    await cp(join(dir, 'fingerprint'), join(staging, 'fingerprint'))
    await mkdir(cache!, { recursive: true, mode: 0o700 })
    await rename(staging, cached).catch(async () => { await rm(staging, { recursive: true, force: true }) })
  }
}

async function run (command: string, args: string[], cwd: string, input?: string): Promise<string> {
  return await new Promise<string>((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => { output = (output + c.toString()).slice(-4000) })
    child.stderr.on('data', (c: Buffer) => { output = (output + c.toString()).slice(-4000) })
    child.once('error', err => { reject(new TorStartError(`cannot run ${command}: ${err.message}`, { cause: err })) })
    child.once('exit', code => {
      if (code === 0) resolve(output)
      else reject(new TorStartError(`${command} exited with code ${code}: ${output}`))
    })
    child.stdin.end(input ?? '')
  })
}

/** Ports free right now (all held open together, so they are distinct), on 127.0.0.1. */
async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, async () => {
    const server = createServer()
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
    return server
  }))
  const ports = servers.map(s => (s.address() as AddressInfo).port)
  await Promise.all(servers.map(async s => { await new Promise(resolve => s.close(resolve)) }))
  return ports
}
