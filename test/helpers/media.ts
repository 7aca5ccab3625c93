// Real media files for the streaming tests and benchmark, made with ffmpeg (installed on the
// machines and in CI), and ffprobe/ffmpeg runs against URLs.
import { execFile } from 'node:child_process'
import { stat } from 'node:fs/promises'

export interface MediaRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs ffmpeg/ffprobe without a shell; never rejects (the caller asserts on the result). */
export async function runTool (tool: 'ffmpeg' | 'ffprobe', args: readonly string[], timeoutMs = 60_000): Promise<MediaRun> {
  return await new Promise(resolve => {
    execFile(tool, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null
      resolve({ code, stdout, stderr })
    })
  })
}

/**
 * An H.264/AAC MP4 with its index (`moov`) at the END (no faststart: a player must read the tail
 * first) and a keyframe every second, about `seconds` × (`videoKbps` + 96) kbit/s.
 */
export async function makeMp4 (path: string, seconds = 20, videoKbps = 1500): Promise<number> {
  await encode(['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=44100:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', `${videoKbps}k`, '-maxrate', `${videoKbps}k`, '-bufsize', `${videoKbps}k`, '-g', '25', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-movflags', '-faststart', '-f', 'mp4', path])
  return (await stat(path)).size
}

/** A Matroska file (H.264 + Opus), cues at the end as mkvmuxer writes them. */
export async function makeMkv (path: string, seconds = 12): Promise<number> {
  await encode(['-f', 'lavfi', '-i', `testsrc2=size=480x270:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=660:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '1200k', '-g', '25', '-pix_fmt', 'yuv420p',
    '-c:a', 'libopus', '-b:a', '64k', '-f', 'matroska', path])
  return (await stat(path)).size
}

async function encode (args: string[]): Promise<void> {
  const r = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], 120_000)
  if (r.code !== 0) throw new Error(`ffmpeg failed (${r.code}): ${r.stderr}`)
}

export interface Probe {
  duration: number
  codecs: string[]
}

/** ffprobe's duration and stream codecs of a file or URL. */
export async function probe (input: string, timeoutMs = 30_000): Promise<Probe> {
  const r = await runTool('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input], timeoutMs)
  if (r.code !== 0) throw new Error(`ffprobe failed (${r.code}): ${r.stderr}`)
  const info = JSON.parse(r.stdout) as { format: { duration: string }, streams: Array<{ codec_name: string }> }
  return { duration: Number(info.format.duration), codecs: info.streams.map(s => s.codec_name).sort() }
}

/** Decodes `frames` video frames starting at `seconds` (input seeking, as a player does). */
export async function decodeAt (input: string, seconds: number, frames = 3, timeoutMs = 30_000): Promise<{ frames: number, run: MediaRun }> {
  const run = await runTool('ffmpeg', ['-hide_banner', '-nostats', '-ss', String(seconds), '-i', input, '-map', '0:v:0', '-frames:v', String(frames), '-f', 'framemd5', '-'], timeoutMs)
  const decoded = run.stdout.split('\n').filter(l => l !== '' && !l.startsWith('#')).length
  return { frames: decoded, run }
}
