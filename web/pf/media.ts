// Streaming a media file on the public fetch page while it downloads, where the browser allows:
// MediaSource takes the file's decrypted bytes in order as they arrive. MediaSource needs the
// codecs named up front and a container it can append piece by piece (WebM; MP4 only when
// fragmented), so the type is read from the file's first bytes; anything else, or any error,
// leaves the player to the whole file once it is there (page.ts).

/** The MediaSource type of a file starting with `head`, or undefined when it cannot be streamed. */
export function streamType (mime: string | undefined, head: Uint8Array): string | undefined {
  const text = latin1(head)
  let type: string | undefined
  if (mime === 'video/webm' || mime === 'audio/webm') {
    const codecs = [['V_VP8', 'vp8'], ['V_VP9', 'vp9'], ['A_VORBIS', 'vorbis'], ['A_OPUS', 'opus']].filter(([id]) => text.includes(id!)).map(([, c]) => c)
    if (codecs.length > 0) type = `${mime}; codecs="${codecs.join(',')}"`
  } else if (mime === 'video/mp4' || mime === 'audio/mp4') {
    // Fragmented only: the movie box comes first and announces fragments (mvex).
    const moov = text.indexOf('moov')
    if (moov < 0 || moov > 4096 || !text.includes('mvex')) return undefined
    const codecs: string[] = []
    const avcC = text.indexOf('avcC')
    if (avcC >= 0 && avcC + 8 <= head.length) codecs.push(`avc1.${hex(head.subarray(avcC + 5, avcC + 8))}`)
    if (text.includes('mp4a')) codecs.push('mp4a.40.2')
    if (codecs.length > 0) type = `${mime}; codecs="${codecs.join(',')}"`
  }
  if (type == null || typeof MediaSource === 'undefined' || !MediaSource.isTypeSupported(type)) return undefined
  return type
}

function latin1 (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < Math.min(bytes.length, 64 * 1024); i++) s += String.fromCharCode(bytes[i]!)
  return s
}

function hex (bytes: Uint8Array): string {
  return [...bytes].map(b => b.toString(16).padStart(2, '0')).join('').toUpperCase()
}

/**
 * Feeds a `<video>` through a MediaSource: `push` the file's bytes in order, `end` after the
 * last. `onFail` is called once if the browser refuses them (the page then plays the whole file).
 */
export class MediaStreamer {
  readonly #queue: Uint8Array[] = []
  #buffer?: SourceBuffer
  #source = new MediaSource()
  #ended = false
  #failed = false
  readonly #onFail: () => void

  constructor (player: HTMLMediaElement, type: string, onFail: () => void) {
    this.#onFail = onFail
    player.src = URL.createObjectURL(this.#source)
    this.#source.addEventListener('sourceopen', () => {
      try {
        this.#buffer = this.#source.addSourceBuffer(type)
        this.#buffer.addEventListener('updateend', () => { this.#next() })
        this.#buffer.addEventListener('error', () => { this.#fail() })
        this.#next()
      } catch { this.#fail() }
    }, { once: true })
  }

  get failed (): boolean { return this.#failed }

  push (bytes: Uint8Array): void {
    if (this.#failed) return
    this.#queue.push(bytes)
    this.#next()
  }

  end (): void {
    this.#ended = true
    this.#next()
  }

  #next (): void {
    const b = this.#buffer
    if (this.#failed || b == null || b.updating) return
    const bytes = this.#queue.shift()
    try {
      if (bytes != null) b.appendBuffer(bytes as Uint8Array<ArrayBuffer>)
      else if (this.#ended && this.#source.readyState === 'open') this.#source.endOfStream()
    } catch { this.#fail() }
  }

  #fail (): void {
    if (this.#failed) return
    this.#failed = true
    this.#queue.length = 0
    this.#onFail()
  }
}
