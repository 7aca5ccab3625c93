// A private Tor network on 127.0.0.1 for tests, benchmarks and `oht demo --transport tor`:
// four directory authorities that are also the relays (onion services need four relays: service
// circuits are four hops and never repeat a relay), optional plain relays, and client tors
// started on demand, one per oht node. Nothing of it touches the real Tor network. Every process
// is started through startTor(), so each dies with our control connection (TAKEOWNERSHIP) or our
// pid; stop() ends them all in order.
//
// `net: 'wan'` puts a delay proxy in front of every relay's ORPort (testnet/wan.ts): on loopback a
// hop costs microseconds, on the real network a rendezvous circuit's round trip is 300-1,000 ms,
// and latency is what shapes Tor throughput and waiting.
//
// Authority keys (3072-bit RSA, ~1.6 s CPU each) are cached between runs in a directory under
// the system temp dir; they are test-only secrets and never belong in the repository.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTor, TorStartError, type TorProcess } from './process.ts'
import type { DelayProxy } from './delay-proxy.ts'
import { authorityConfig, commonConfig, plainRelayConfig, type RelayBandwidth, type RelayPorts } from './testnet/config.ts'
import { authorityKeys, freePorts } from './testnet/keys.ts'
import { startLinkProxies, type WanOptions } from './testnet/wan.ts'
import { measureCircuitRtt, type CircuitRtt } from './testnet/rtt.ts'

export type { WanOptions, RelayBandwidth, CircuitRtt }

/** 'lan': every hop on bare loopback (fast, the default); 'wan': every link into a relay delayed. */
export type TestNetworkKind = 'lan' | 'wan'

export interface TestNetworkOptions {
  /** Default 'lan'. */
  net?: TestNetworkKind
  /** Delays of the WAN testbed (net 'wan' only). */
  wan?: WanOptions
  /** Plain relays besides the four authorities; default 0 (they lengthen the first consensus wait). */
  relays?: number
  /** Cap on what each relay relays (RelayBandwidthRate/Burst); default none. */
  relayBandwidth?: RelayBandwidth
  /** Parent of the network's data directories; default a fresh directory under the system temp dir. */
  root?: string
  /** Where authority keys are cached between runs; default `<tmpdir>/oht-tornet-keys-v1`; null disables. */
  keyCache?: string | null
  torPath?: string
  /** Bound on the wait for a consensus that lists every relay; default 90 s. */
  consensusTimeoutMs?: number
  /** Called with the relay ports of each boot attempt once picked, before anything binds them (tests of the port race). */
  onPortsPicked?: (ports: readonly number[], attempt: number) => void | Promise<void>
}

/** The network kind named by `OHT_TESTNET` (lan or wan; unset means lan), for tests and benchmarks. */
export function testNetworkKindFromEnv (env: NodeJS.ProcessEnv = process.env): TestNetworkKind {
  const value = env['OHT_TESTNET'] ?? 'lan'
  if (value !== 'lan' && value !== 'wan') throw new RangeError(`OHT_TESTNET must be lan or wan, not ${value}`)
  return value
}

const AUTHORITIES = 4

interface Authority {
  name: string
  dir: string
  ports: RelayPorts
  dirPort: number
  v3Ident: string
  fingerprint: string
}

const PORT_RACE_ATTEMPTS = 3

/** Whether a boot failed because a port picked free was bound by someone else before tor. */
export function isPortTaken (err: unknown): boolean {
  return err instanceof Error && /Address already in use|Could not bind to/i.test(err.message)
}

export class TorTestNetwork {
  readonly root: string
  readonly #authorities: Authority[]
  readonly #authorityTors: TorProcess[] = []
  readonly #relayTors: TorProcess[] = []
  #proxies: DelayProxy[] = []
  readonly #relayCount: number
  /** Which testbed this is. */
  readonly net: TestNetworkKind
  readonly #clients = new Set<TorProcess>()
  readonly #config: string[]
  readonly #torPath: string | undefined
  readonly #ownsRoot: boolean
  #clientCount = 0
  #stopping: Promise<void> | null = null

  private constructor (net: TestNetworkKind, root: string, ownsRoot: boolean, authorities: Authority[], relayCount: number, config: string[], torPath: string | undefined) {
    this.net = net
    this.#relayCount = relayCount
    this.root = root
    this.#ownsRoot = ownsRoot
    this.#authorities = authorities
    this.#config = config
    this.#torPath = torPath
  }

  /**
   * Boots the network and resolves once every authority serves a consensus with all relays (~15–25 s).
   * Relay ports are picked free before tor binds them; another process can take one in between,
   * so a boot that fails on a taken port is retried with new ports (up to PORT_RACE_ATTEMPTS).
   */
  static async start (options: TestNetworkOptions = {}): Promise<TorTestNetwork> {
    for (let attempt = 1; ; attempt++) {
      // A given root is reused by each attempt: each attempt boots into its own subfolder.
      const attemptOptions = options.root === undefined || attempt === 1 ? options : { ...options, root: join(options.root, `retry${attempt}`) }
      try {
        return await TorTestNetwork.#startOnce(attemptOptions, attempt)
      } catch (err) {
        if (attempt >= PORT_RACE_ATTEMPTS || !isPortTaken(err)) throw err
      }
    }
  }

  static async #startOnce (options: TestNetworkOptions, attempt: number): Promise<TorTestNetwork> {
    const net = options.net ?? 'lan'
    const extraRelays = options.relays ?? 0
    const root = options.root ?? await mkdtemp(join(tmpdir(), 'oht-tornet-'))
    await mkdir(root, { recursive: true, mode: 0o700 })
    const emptyGeoIp = join(root, 'geoip-empty')
    await writeFile(emptyGeoIp, '')
    // Per authority: ORPort and DirPort, plus the proxied ORPort on a WAN; per plain relay: ORPort(s).
    const perRelay = net === 'wan' ? 2 : 1
    const ports = await freePorts(AUTHORITIES * (perRelay + 1) + extraRelays * perRelay)
    await options.onPortsPicked?.([...ports], attempt)
    const relayPorts = (): RelayPorts => {
      const listen = ports.shift()!
      return { listen, advertised: net === 'wan' ? ports.shift()! : listen }
    }
    const cache = options.keyCache === undefined ? join(tmpdir(), 'oht-tornet-keys-v1') : options.keyCache
    const authorities = await Promise.all(Array.from({ length: AUTHORITIES }, async (_, i) => {
      const name = `auth${i}`
      const dir = join(root, name)
      const own = { ports: relayPorts(), dirPort: ports.shift()! }
      await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 })
      await authorityKeys(dir, name, cache, options.torPath)
      const certificate = await readFile(join(dir, 'keys', 'authority_certificate'), 'utf8')
      const v3Ident = /^fingerprint ([0-9A-F]{40})$/m.exec(certificate)?.[1]
      const fingerprint = (await readFile(join(dir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1]
      if (v3Ident === undefined || fingerprint === undefined) throw new TorStartError(`cannot read the keys of ${name}`)
      return { name, dir, ...own, v3Ident, fingerprint }
    }))
    const plainRelays = Array.from({ length: extraRelays }, (_, i) => ({ name: `relay${i}`, dir: join(root, `relay${i}`), ports: relayPorts() }))
    const dirAuthorityLines = authorities.map(a =>
      `DirAuthority ${a.name} orport=${a.ports.advertised} no-v2 v3ident=${a.v3Ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`)
    const config = commonConfig(dirAuthorityLines, emptyGeoIp)
    const network = new TorTestNetwork(net, root, options.root === undefined, authorities, extraRelays, config, options.torPath)
    try {
      if (net === 'wan') network.#proxies = await startLinkProxies([...authorities, ...plainRelays].map(r => r.ports), options.wan ?? {})
      // allSettled: on one failure, the tors still starting must be registered before stop() runs.
      const started = await Promise.allSettled([
        ...authorities.map(async a => {
          network.#authorityTors.push(await startTor({ dataDir: a.dir, torPath: options.torPath, config: [...config, ...authorityConfig(a.name, a.ports, a.dirPort, options.relayBandwidth)] }))
        }),
        ...plainRelays.map(async r => {
          network.#relayTors.push(await startTor({ dataDir: r.dir, torPath: options.torPath, config: [...config, ...plainRelayConfig(r.name, r.ports, options.relayBandwidth)] }))
        })
      ])
      const failed = started.find(s => s.status === 'rejected')
      if (failed !== undefined) throw failed.reason
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

  /**
   * The emulated circuit round trip: an echo over an onion stream between two fresh client tors
   * (or the two given), `samples` times after a warm-up; p50 and every sample in ms.
   */
  async measureCircuitRtt (options: { samples?: number, clients?: [TorProcess, TorProcess] } = {}): Promise<CircuitRtt> {
    const own = options.clients === undefined ? await Promise.all([this.startClient(), this.startClient()]) : null
    const [service, client] = options.clients ?? own!
    try {
      return await measureCircuitRtt(service, client, options.samples ?? 9)
    } finally {
      if (own !== null) await Promise.all(own.map(async t => { await t.close() }))
    }
  }

  /** Stops every tor this network started (clients first) and removes its directories. Idempotent. */
  async stop (): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all([...this.#clients].map(async t => { await t.close() }))
      await Promise.all([...this.#relayTors, ...this.#authorityTors].map(async t => { await t.close() }))
      await Promise.all(this.#proxies.map(async p => { await p.close() }))
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
      const all = AUTHORITIES + this.#relayCount
      if (states.every(s => s.relays >= all && s.micro >= all)) return
      if (Date.now() > deadline) throw new TorStartError(`the test network has no complete consensus after ${timeoutMs} ms (${status})`)
      await new Promise(resolve => setTimeout(resolve, 500))
    }
  }
}

