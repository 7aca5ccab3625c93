import { OhtNode } from '../src/node/node.ts'
import { NodeNetwork } from '../src/node/network.ts'
import { LocalService } from '../src/node/service.ts'
import { ApiServer } from '../src/node/api.ts'
import { daemonRunning } from '../src/node/api-client.ts'
import { resolveDataDir } from '../src/node/datadir.ts'
import { apiSocket, makeTransport, networkOptions, type GlobalOptions, type Output } from './context.ts'

/** Runs until SIGINT/SIGTERM: node + network + API; everything is closed on the way out. */
export async function runDaemon (g: GlobalOptions, out: Output): Promise<void> {
  const dataDir = resolveDataDir(g.dataDir)
  const socket = apiSocket(dataDir)
  if (await daemonRunning(socket)) throw new Error(`a daemon already runs for ${dataDir}`)
  const transport = makeTransport(g, out)
  const node = await OhtNode.open({ dataDir, passphrase: process.env.OHT_PASSPHRASE ?? '' })
  const network = new NodeNetwork(transport, node.keys, networkOptions(g))
  const service = new LocalService(node, network, true)
  const api = new ApiServer(service, socket)
  try {
    const address = await network.listen()
    const seeded = await service.seedAll()
    await api.listen()
    if (out.json) process.stdout.write(JSON.stringify({ type: 'listening', address, nodeId: node.keys.nodeId, api: socket, seeding: seeded }) + '\n')
    else if (!out.quiet) process.stdout.write(`oht daemon: node ${node.keys.nodeId}\nlistening on ${address}\nseeding ${seeded} share${seeded === 1 ? '' : 's'}\nAPI: ${socket}\n`)
  } catch (err) {
    await api.close().catch(() => {})
    await service.close()
    throw err
  }
  await new Promise<void>(resolve => {
    const stop = (): void => { resolve() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await api.close()
  await service.close()
}
