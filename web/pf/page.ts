// The public fetch page's script (served by a node started with --public-fetch, docs/WEBUI.md
// "Public fetch"): reads the oht link from the address's fragment (or the form), asks this node
// for the manifest and the blocks with their Merkle proofs, checks and decrypts each in the
// browser (core.ts), and offers each file to save once its bytes are all there (media files also
// play then). The key never leaves the page: requests carry only the share id and block numbers.
import { blockLength, blockPieces, openBlock, openManifest, parseLink, ShareError, type OpenedShare } from './core.ts'

/** Blocks in flight at once: enough to hide a Tor round trip, few enough for the node's limits. */
const PARALLEL = 4

const el = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

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
  setStatus('failed')
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

function offerFile (share: OpenedShare, f: number, parts: BlobPart[]): void {
  const file = share.files[f]!
  const type = file.mime ?? 'application/octet-stream'
  const url = URL.createObjectURL(new Blob(parts, { type }))
  const item = el(`pf-file-${f}`)
  const a = document.createElement('a')
  a.href = url
  a.download = file.path.slice(file.path.lastIndexOf('/') + 1)
  a.textContent = 'save'
  a.className = 'pf-save'
  item.append(' ', a)
  item.dataset.state = 'done'
  if (/^(video|audio)\//.test(type)) {
    const player = el<HTMLVideoElement>('pf-player')
    if (player.dataset.file == null) {
      player.dataset.file = file.path
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
  setStatus('fetching the manifest…')
  const share = await openManifest(await fetchBytes(`${base}/manifest`, abort.signal), link)
  el('pf-share').hidden = false
  el('pf-name').textContent = share.name
  el('pf-size').textContent = `${formatBytes(share.header.size)} in ${share.files.length} file${share.files.length === 1 ? '' : 's'}, ${share.header.blockCount} blocks`
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
  const plain: Array<Blob | undefined> = new Array(count)
  const ranges = share.files.map((_, f) => blocksOf(share, f))
  const offered = new Set<number>()
  const offerReady = (): void => {
    for (let f = 0; f < share.files.length; f++) {
      if (offered.has(f)) continue
      const r = ranges[f]
      if (r != null) { for (let i = r.first; i <= r.last; i++) if (plain[i] == null) return }
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

  let next = 0
  let done = 0
  const worker = async (): Promise<void> => {
    while (next < count && !abort.signal.aborted) {
      const i = next++
      const bytes = await openBlock(share, i, await fetchBytes(`${base}/block/${i}`, abort.signal))
      plain[i] = new Blob([bytes as Uint8Array<ArrayBuffer>])
      done++
      progress.value = done
      setStatus(`${done} / ${count} blocks checked and decrypted`)
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
  setStatus(`done: ${formatBytes(share.header.size)} checked against the share's Merkle root and decrypted in this browser`)
  document.body.dataset.state = 'done'
}

function start (text: string): void {
  void run(text).catch(fail)
}

el<HTMLFormElement>('pf-form').addEventListener('submit', e => {
  e.preventDefault()
  const input = el<HTMLInputElement>('pf-link')
  const text = input.value.trim()
  input.value = ''
  // The link goes to the fragment, which the browser never sends: a reload fetches it again.
  history.replaceState(null, '', `#${text}`)
  start(text)
})
if (location.hash.length > 1) start(location.hash)
