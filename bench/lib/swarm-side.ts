// What bench/swarm asks of each tool it compares (oht, WebTorrent): a set of seeder processes
// that can grow from 1 to N, and one leecher run that fetches the file from all of them.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import type { ProcessUsage } from './swarm-proc.ts'

/** `oht-enc`: oht's leecher with `fetch --encrypted-parts`, from the same seeders as `oht`. */
export type Tool = 'webtorrent' | 'oht' | 'oht-enc'

export interface LeechResult {
  /** Bytes of the file the leecher reports it fetched. */
  bytes: number
  /** The tool's own transfer time, measured inside the leecher (WebTorrent: `client.add` to
   *  'done'; oht: the `seconds` that `oht fetch --json` reports). Excludes process start. */
  seconds: number
  /** Spawn to exit of the leecher process as seen from bench/swarm.ts (Node start, module loading,
   *  node open/close and teardown included). */
  e2eSeconds: number
  /** Whole leecher process: CPU (user, system, all threads) and peak RSS. */
  usage: ProcessUsage
  /** Where the fetched file is, to check it against the source. */
  outputPath: string
  extra: Record<string, unknown>
}

export interface SeederSetup {
  seeders: number
  seconds: number
  detail: string
}

export interface Side {
  readonly tool: Tool
  /** Starts seeders until there are n, all holding the whole file (not timed). */
  ensureSeeders: (n: number) => Promise<SeederSetup | undefined>
  /** One leecher process fetching from the first n seeders into runDir (a fresh directory). */
  leech: (n: number, runDir: string) => Promise<LeechResult>
  /** Stops every seeder (process groups), bounded. */
  stop: () => Promise<void>
}

/** Hex SHA-256 of a file, read in 4 MiB chunks. */
export async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 2 ** 20 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
