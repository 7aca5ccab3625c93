// The public fetch page's script (served by a node started with --public-fetch, docs/WEBUI.md
// "Public fetch"): reads the oht link from the address's fragment (or the form), asks this node
// for the manifest and the blocks with their Merkle proofs, checks and decrypts each in the
// browser (core.ts), and offers each file to save once its bytes are all there. The first audio
// or video file plays while it downloads where MediaSource takes it (media.ts), else once whole. The key never leaves the page: requests carry only the share id and block numbers.
import { blockLength, blockPieces, openBlock, openManifest, parseLink, ShareError, type OpenedShare } from './core.ts'
import { MediaStreamer, streamType } from './media.ts'

/** Blocks in flight at once: enough to hide a Tor round trip, few enough for the node's limits. */
const PARALLEL = 4

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

/** The page's words in its language (a JSON data block the node writes: src/node/publicfetch/messages.ts). */
const messages = JSON.parse(document.getElementById('pf-messages')?.textContent ?? '{}') as Record<string, string>
const msg = (key: string, params: Record<string, string | number> = {}): string =>
  (messages[`script.${key}`] ?? key).replace(/\{(\w+)\}/g, (m, name: string) => name in params ? String(params[name]) : m)

function formatBytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`
}

function setStatus (text: string): void { el('pf-status').textContent = text }

function fail (err: unknown): void {
  const box = el('pf-error')
  box.textContent = err instanceof ShareError ? err.message : `failed: ${err instanceof Error ? err.message : String(err)}`
  box.hidden = false
  setStatus(msg('failed'))
  document.body.dataset.state = 'failed'
}

async function fetchBytes (path: string, signal: AbortSignal): Promise<Uint8Array> {
  let res: Response
  try {
    res = await fetch(path, { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer', signal })
  } catch (err) {
    if (signal.aborted) throw err
    throw new ShareError(`the node did not answer (${path}): ${(err as Error).message}`)
  }
  if (!res.ok) throw new ShareError(`the node answered ${res.status} for ${path}: ${(await res.text()).slice(0, 300)}`)
  return new Uint8Array(await res.arrayBuffer())
}

/** Blocks `first..last` hold file `f`'s bytes (an empty file: none). */
function blocksOf (share: OpenedShare, f: number): { first: number, last: number } | undefined {
  const offset = share.files.slice(0, f).reduce((n, x) => n + x.size, 0)
  const size = share.files[f]!.size
  if (size === 0) return undefined
  return { first: Math.floor(offset / share.header.blockSize), last: Math.floor((offset + size - 1) / share.header.blockSize) }
}

/** Object URLs of the files offered so far, by file number. */
const offeredUrls = new Map<number, string>()

function offerFile (share: OpenedShare, f: number, parts: BlobPart[]): void {
  const file = share.files[f]!
  const type = file.mime ?? 'application/octet-stream'
  const url = URL.createObjectURL(new Blob(parts, { type }))
  offeredUrls.set(f, url)
  const item = el(`pf-file-${f}`)
  const a = document.createElement('a')
  a.href = url
  a.download = file.path.slice(file.path.lastIndexOf('/') + 1)
  a.textContent = msg('save')
  a.className = 'pf-save'
  item.append(' ', a)
  item.dataset.state = 'done'
  if (/^(video|audio)\//.test(type)) {
    const player = el<HTMLVideoElement>('pf-player')
    if (player.dataset.file == null) {
      player.dataset.file = file.path
      player.dataset.mode = 'whole'
      player.src = url
      player.hidden = false
    }
  }
  // A one-file share saves at once; a folder's files each have their link.
  if (share.files.length === 1) a.click()
}

async function run (text: string): Promise<void> {
  el('pf-error').hidden = true
  document.body.dataset.state = 'fetching'
  const abort = new AbortController()
  const link = parseLink(text)
  const base = `/pf/${link.shareId}`
  setStatus(msg('manifest'))
  const share = await openManifest(await fetchBytes(`${base}/manifest`, abort.signal), link)
  el('pf-share').hidden = false
  el('pf-name').textContent = share.name
  el('pf-size').textContent = msg('size', { size: formatBytes(share.header.size), files: share.files.length, blocks: share.header.blockCount })
  const list = el('pf-files')
  list.replaceChildren(...share.files.map((f, i) => {
    const li = document.createElement('li')
    li.id = `pf-file-${i}`
    li.textContent = `${f.path} (${formatBytes(f.size)})`
    return li
  }))
  const progress = el<HTMLProgressElement>('pf-progress')
  progress.max = share.header.blockCount
  progress.value = 0

  const count = share.header.blockCount
  const plain: Array<Blob | undefined> = new Array<Blob | undefined>(count).fill(undefined)
  const ranges = share.files.map((_, f) => blocksOf(share, f))
  const offered = new Set<number>()
  const offerReady = (): void => {
    for (let f = 0; f < share.files.length; f++) {
      const r = ranges[f]
      if (offered.has(f) || (r != null && plain.slice(r.first, r.last + 1).some(b => b == null))) continue
      offered.add(f)
      const parts: BlobPart[] = []
      if (r != null) {
        for (let i = r.first; i <= r.last; i++) {
          const piece = blockPieces(share, i).find(p => p.file === f)!
          const whole = piece.start === 0 && piece.end === blockLength(share.header, i)
          parts.push(whole ? plain[i]! : plain[i]!.slice(piece.start, piece.end))
        }
      }
      offerFile(share, f, parts)
    }
  }

  const stream = mediaFeed(share)
  let next = 0
  let done = 0
  const worker = async (): Promise<void> => {
    while (next < count && !abort.signal.aborted) {
      const i = next++
      const bytes = await openBlock(share, i, await fetchBytes(`${base}/block/${i}`, abort.signal))
      plain[i] = new Blob([bytes as Uint8Array<ArrayBuffer>])
      stream?.(i, bytes)
      done++
      progress.value = done
      setStatus(msg('progress', { done, count }))
      offerReady()
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker))
  } catch (err) {
    abort.abort()
    throw err
  }
  offerReady()
  setStatus(msg('done', { size: formatBytes(share.header.size) }))
  document.body.dataset.state = 'done'
}

/**
 * For the share's first audio or video file: a function taking each decrypted block, which feeds
 * the file's bytes in order to a MediaStreamer once its first block shows it can be streamed.
 */
function mediaFeed (share: OpenedShare): ((index: number, bytes: Uint8Array) => void) | undefined {
  const f = share.files.findIndex(x => /^(video|audio)\//.test(x.mime ?? ''))
  const range = f < 0 ? undefined : blocksOf(share, f)
  if (range == null) return undefined
  const player = el<HTMLVideoElement>('pf-player')
  const waiting = new Map<number, Uint8Array>()
  let at = range.first
  let streamer: MediaStreamer | undefined
  let off = false
  return (index, bytes) => {
    if (off || index < range.first || index > range.last) return
    waiting.set(index, bytes)
    for (let b = waiting.get(at); b != null; b = waiting.get(at)) {
      waiting.delete(at)
      const piece = blockPieces(share, at).find(p => p.file === f)!
      const part = b.subarray(piece.start, piece.end)
      if (streamer == null) {
        const type = streamType(share.files[f]!.mime, part)
        if (type == null) { off = true; waiting.clear(); return }
        player.dataset.file = share.files[f]!.path
        player.dataset.mode = 'stream'
        player.hidden = false
        streamer = new MediaStreamer(player, type, () => {
          // The browser refused the bytes: the whole file plays once it is there.
          off = true
          waiting.clear()
          player.dataset.mode = 'whole'
          const whole = offeredUrls.get(f)
          if (whole != null) player.src = whole
          else delete player.dataset.file
        })
      }
      streamer.push(part)
      if (at === range.last) streamer.end()
      at++
    }
  }
}

function start (text: string): void {
  void run(text).catch(fail)
}

el<HTMLFormElement>('pf-form').addEventListener('submit', e => {
  e.preventDefault()
  const input = el<HTMLInputElement>('pf-link')
  const text = input.value.trim()
  input.value = ''
  // The link goes to the fragment, which the browser never sends; the page starts afresh with it.
  history.replaceState(null, '', `#${text}`)
  location.reload()
})
// The language switch keeps the link: the fragment goes along.
for (const a of document.querySelectorAll<HTMLAnchorElement>('a.pf-lang')) a.addEventListener('click', () => { a.hash = location.hash })
if (location.hash.length > 1) start(location.hash)
