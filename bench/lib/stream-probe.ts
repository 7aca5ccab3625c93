// What a player waits for, measured from outside: the first bytes of a GET (or of a Range GET, a
// seek) and the first decoded frame (ffmpeg). Shared by bench/stream.ts and bench/first-block.ts.
import { request } from 'node:http'
import { runTool } from '../../test/helpers/media.ts'

/**
 * Milliseconds from now until `bytes` body bytes of a GET (from `offset` with a Range header)
 * have arrived; the connection is then dropped, as a player drops it when it seeks again.
 */
export async function firstBytesMs (url: string, offset = 0, bytes = 1): Promise<number> {
  const t0 = performance.now()
  return await new Promise((resolve, reject) => {
    const req = request(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {} }, res => {
      let got = 0
      if (res.statusCode !== (offset > 0 ? 206 : 200)) { reject(new Error(`${url} answered ${res.statusCode} to bytes=${offset}-`)); req.destroy(); return }
      res.on('data', (c: Buffer) => {
        got += c.length
        if (got >= bytes) { resolve(performance.now() - t0); req.destroy() }
      })
      res.once('error', reject)
    })
    req.setTimeout(120_000, () => { req.destroy(new Error('no first byte in 120 s')) })
    req.on('error', err => { if (!req.destroyed || (err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err) })
    req.end()
  })
}

/** Wall milliseconds of `ffmpeg [-ss T] -i input -frames:v 1 -f null -`; throws if no frame came. */
export async function decodeMs (input: string, at?: number): Promise<number> {
  const t0 = performance.now()
  const r = await runTool('ffmpeg', ['-hide_banner', '-nostats', '-loglevel', 'error', ...(at != null ? ['-ss', at.toFixed(2)] : []), '-i', input, '-map', '0:v:0', '-frames:v', '1', '-f', 'framemd5', '-'], 120_000)
  const ms = performance.now() - t0
  const frames = r.stdout.split('\n').filter(l => l !== '' && !l.startsWith('#')).length
  if (r.code !== 0 || frames < 1) throw new Error(`ffmpeg ${at != null ? `-ss ${at.toFixed(2)} ` : ''}decoded nothing from ${input}: ${r.stderr.slice(-500)}`)
  return ms
}

