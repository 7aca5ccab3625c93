// Authority keys of the private test network (cached between runs) and the small process and
// port helpers its start needs.
import { spawn } from 'node:child_process'
import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { TorStartError } from '../process.ts'

/** Puts authority keys in `<dir>/keys` and the relay fingerprint in `<dir>/fingerprint`, from the cache when possible. */
export async function authorityKeys (dir: string, name: string, cache: string | null, torPath: string | undefined): Promise<void> {
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
export async function freePorts (count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, async () => {
    const server = createServer()
    await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
    return server
  }))
  const ports = servers.map(s => (s.address() as AddressInfo).port)
  await Promise.all(servers.map(async s => { await new Promise(resolve => s.close(resolve)) }))
  return ports
}
