import { join } from 'node:path'
import { OhtNode } from '../src/node/node.ts'
import { NodeNetwork } from '../src/node/network.ts'
import { LocalService } from '../src/node/service.ts'
import { ApiServer } from '../src/node/api.ts'
import { TransferManager } from '../src/node/transfers.ts'
import { daemonRunning } from '../src/node/api-client.ts'
import { resolveDataDir } from '../src/node/datadir.ts'
import { apiSocket, configFileFor, discoveryFor, makeTransport, networkOptions, type GlobalOptions, type Output } from './context.ts'
import { t } from './i18n/index.ts'
import { LocalDhtService, registerDhtRoutes } from '../src/node/dht-service.ts'
import { closeStreams, startStream } from '../src/node/streams.ts'
import { BootstrapHost, serveBootstrap } from '../src/node/network-bootstrap.ts'
import { parseNetworkKey } from '../src/onion/network-key.ts'
import { TorTransport } from '../src/onion/index.ts'
import { parseReadCap, verifyCapOf } from '../src/blocks/index.ts'

/** Runs until SIGINT/SIGTERM: node + network + transfers + API; everything is closed on the way out. */
export interface DaemonOptions {
  /** Publish the network's shared onion address too (needs --network and the Tor transport). */
  bootstrapHost?: boolean
  republishMs?: number
}

export async function runDaemon (g: GlobalOptions, out: Output, options: DaemonOptions = {}): Promise<void> {
  const networkKey = g.network != null ? parseNetworkKey(g.network) : undefined
  if (options.bootstrapHost === true && networkKey == null) throw new Error(t('daemon.hostNeedsNetwork'))
  const dataDir = resolveDataDir(g.dataDir)
  const socket = apiSocket(dataDir)
  if (await daemonRunning(socket)) throw new Error(t('daemon.alreadyRunning', { dataDir }))
  // Signals are caught from here on, not only once the daemon is up: a SIGTERM that arrives during
  // start-up (or right after the listening line, before a later handler would exist) must still
  // close everything, above all remove the onion services from a shared tor, where a detached
  // service would otherwise outlive us. Start-up finishes (its steps are bounded), then we stop.
  const stopRequested = Promise.withResolvers<void>()
  const onSignal = (): void => { stopRequested.resolve() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const transport = makeTransport(g, out)
  const node = await OhtNode.open({ dataDir, passphrase: process.env.OHT_PASSPHRASE ?? '' })
  const network = new NodeNetwork(transport, node.keys, networkOptions(g))
  const service = new LocalService(node, network, true)
  const discovery = discoveryFor(g, node, network, reason => { out.warn(t('daemon.networkRetry', { reason })) })
  if (networkKey != null) serveBootstrap(network, discovery)
  let host: BootstrapHost | undefined
  let sharedAddress: string | undefined
  service.attachDiscovery(discovery)
  const transfers = new TransferManager(service)
  const apiTcp = g.apiTcp
  const api = new ApiServer(service, socket, {
    transfers,
    config: configFileFor(g),
    ...(apiTcp != null ? { tcp: apiTcp, tokenPath: join(dataDir, 'api.token') } : {})
  })
  registerDhtRoutes(api, new LocalDhtService(discovery))
  // `oht stream` with a daemon: the daemon fetches (peers from the request, else the DHT) and
  // serves the share on its own 127.0.0.1 stream server; the command prints the URL and returns.
  api.route('POST', '/v0/stream', async ({ body }) => {
    const b = await body() as { link?: unknown, peers?: unknown, file?: unknown, output?: unknown } | null
    if (b == null || typeof b.link !== 'string') throw new Error('request body must be a JSON object with a link')
    let peers = Array.isArray(b.peers) ? b.peers.map(String) : []
    if (peers.length === 0) {
      const cap = parseReadCap(b.link)
      peers = (await discovery.findPeers(cap.manifestCid, verifyCapOf(cap).swarmKey)).addresses
      if (peers.length === 0) throw new Error('no peer provides this share in the DHT; give --peer <address>')
    }
    const h = await startStream(node, network, b.link, {
      peers,
      ...(typeof b.file === 'string' ? { file: b.file } : {}),
      ...(typeof b.output === 'string' ? { output: b.output } : {})
    })
    return { body: { url: h.url, id: h.id, file: h.file } }
  })
  try {
    const address = await network.listen()
    if (options.bootstrapHost === true && networkKey != null) {
      if (!(transport instanceof TorTransport)) throw new Error(t('daemon.hostNeedsTor'))
      host = new BootstrapHost(transport, networkKey, options.republishMs)
      sharedAddress = await host.start(err => { out.warn(t('daemon.republishFailed', { reason: err instanceof Error ? err.message : String(err) })) })
      if (!out.json && !out.quiet) process.stdout.write(t('daemon.hosting', { address: sharedAddress }) + '\n')
    }
    // Joining the DHT takes lookups (seconds over Tor): the daemon serves meanwhile; announcements
    // and lookups wait for it.
    discovery.start().catch((err: unknown) => { out.warn(t('daemon.dhtJoinFailed', { reason: err instanceof Error ? err.message : String(err) })) })
    const seeded = await service.seedAll()
    await api.listen()
    if (out.json) process.stdout.write(JSON.stringify({ type: 'listening', address, sharedAddress: sharedAddress ?? null, nodeId: node.keys.nodeId, api: socket, apiTcp: api.tcpAddress ?? null, seeding: seeded }) + '\n')
    else if (!out.quiet) {
      const lines = [t('daemon.node', { nodeId: node.keys.nodeId }), t('daemon.listening', { address }), t('daemon.seeding', { count: seeded }), t('daemon.api', { socket })]
      if (api.tcpAddress != null) lines.push(t('daemon.apiTcp', { address: api.tcpAddress, token: join(dataDir, 'api.token') }))
      process.stdout.write(lines.join('\n') + '\n')
    }
  } catch (err) {
    await api.close().catch(() => {})
    await transfers.close()
    await service.close()
    throw err
  }
  await stopRequested.promise
  host?.stop()
  await api.close()
  await closeStreams(network)
  await transfers.close()
  await service.close()
}
