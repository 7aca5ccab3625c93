// Incremental parser of Tor control-port replies (control-spec §2.3, §4) and the small text
// helpers the control protocol needs (quoted strings, keyword arguments). A reply is one or more
// lines "XYZ-text" (more lines follow), "XYZ+text" (a data block follows, ended by a lone ".",
// with leading dots doubled), ended by "XYZ text". Codes 6xx are asynchronous events; they
// never interrupt another reply, so the parser only ever hands over whole replies.
import { StringDecoder } from 'node:string_decoder'
import { TOR_MAX_LINE_BYTES, TOR_MAX_REPLY_BYTES } from './constants.ts'

export interface ReplyLine {
  /** Three-digit status code, e.g. 250, 552, 650. */
  code: number
  /** The text after the code and separator. */
  text: string
  /** The data block that followed a "XYZ+" line (dot-unstuffed, lines joined with "\n"). */
  data?: string
}

export interface Reply {
  /** The code of the final line (for a well-formed reply every line has the same code). */
  code: number
  lines: ReplyLine[]
}

export class ReplyProtocolError extends Error {
  override name = 'ReplyProtocolError'
}

export interface ReplyParserLimits {
  maxLineBytes?: number
  maxReplyBytes?: number
}

const LINE = /^([0-9]{3})([ +-])(.*)$/s

/**
 * Feed it bytes as they arrive; it calls `onReply` once per complete reply and throws a
 * ReplyProtocolError on anything malformed or oversized (the caller then drops the connection:
 * after a framing error nothing that follows can be trusted).
 */
export class ReplyParser {
  readonly #onReply: (reply: Reply) => void
  readonly #maxLine: number
  readonly #maxReply: number
  /** UTF-8 (paths, nicknames) may be split across chunks: decode statefully. */
  readonly #decoder = new StringDecoder('utf8')
  #buffer = ''
  #lines: ReplyLine[] = []
  #replyBytes = 0
  /** Set while inside a data block: the line that opened it, and the data lines so far. */
  #data: { line: ReplyLine, parts: string[] } | null = null
  #failed: ReplyProtocolError | null = null

  constructor (onReply: (reply: Reply) => void, limits: ReplyParserLimits = {}) {
    this.#onReply = onReply
    this.#maxLine = limits.maxLineBytes ?? TOR_MAX_LINE_BYTES
    this.#maxReply = limits.maxReplyBytes ?? TOR_MAX_REPLY_BYTES
  }

  push (chunk: Buffer | string): void {
    if (this.#failed !== null) throw this.#failed
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk)
    let start = 0
    try {
      // Walk the buffer with an index and cut it once at the end: slicing per line would copy
      // the rest of a large chunk once for every line in it.
      for (;;) {
        const end = this.#buffer.indexOf('\n', start)
        if (end < 0) {
          if (this.#buffer.length - start > this.#maxLine) throw new ReplyProtocolError(`control line longer than ${this.#maxLine} bytes`)
          break
        }
        if (end - start > this.#maxLine) throw new ReplyProtocolError(`control line longer than ${this.#maxLine} bytes`)
        // Tor ends lines with CRLF; be lenient about a bare LF as stem and txtorcon are.
        const raw = this.#buffer.slice(start, end)
        start = end + 1
        this.#line(raw.endsWith('\r') ? raw.slice(0, -1) : raw)
      }
      this.#buffer = this.#buffer.slice(start)
    } catch (err) {
      this.#buffer = ''
      this.#failed = err instanceof ReplyProtocolError ? err : new ReplyProtocolError(String(err))
      throw this.#failed
    }
  }

  #line (line: string): void {
    this.#replyBytes += line.length + 2
    if (this.#replyBytes > this.#maxReply) throw new ReplyProtocolError(`control reply larger than ${this.#maxReply} bytes`)
    const data = this.#data
    if (data !== null) {
      if (line === '.') {
        data.line.data = data.parts.join('\n')
        this.#data = null
      } else {
        data.parts.push(line.startsWith('.') ? line.slice(1) : line)
      }
      return
    }
    const m = LINE.exec(line)
    if (m === null) throw new ReplyProtocolError(`malformed control reply line: ${JSON.stringify(line.slice(0, 80))}`)
    const code = Number(m[1])
    const entry: ReplyLine = { code, text: m[3]! }
    const first = this.#lines[0]
    if (first !== undefined && first.code !== code) {
      throw new ReplyProtocolError(`control reply mixes codes ${first.code} and ${code}`)
    }
    this.#lines.push(entry)
    switch (m[2]) {
      case '-': return
      case '+': this.#data = { line: entry, parts: [] }; return
      default: {
        const reply: Reply = { code, lines: this.#lines }
        this.#lines = []
        this.#replyBytes = 0
        this.#onReply(reply)
      }
    }
  }
}

/** Quotes a string argument of a control command (control-spec §2.1: QuotedString). */
export function quoteString (value: string): string {
  if (/[\r\n\0]/.test(value)) throw new TypeError('control-port strings cannot contain CR, LF or NUL')
  return '"' + value.replace(/[\\"]/g, c => '\\' + c) + '"'
}

/**
 * Splits the text of a reply or event line into positional words and KEY=VALUE arguments,
 * unquoting quoted values (`SUMMARY="Done"`, `COOKIEFILE="/a b/c"`). Positional words keep
 * their order; keywords are returned in a map (the last of a repeated key wins).
 */
export function parseArguments (text: string): { positional: string[], keywords: Map<string, string> } {
  const positional: string[] = []
  const keywords = new Map<string, string>()
  let i = 0
  while (i < text.length) {
    while (text[i] === ' ') i++
    if (i >= text.length) break
    const keyMatch = /^([A-Za-z0-9_]+)=/.exec(text.slice(i, i + 128))
    if (keyMatch !== null) {
      i += keyMatch[0].length
      const [value, next] = readValue(text, i)
      keywords.set(keyMatch[1]!, value)
      i = next
    } else {
      const [value, next] = readValue(text, i)
      positional.push(value)
      i = next
    }
  }
  return { positional, keywords }
}

function readValue (text: string, start: number): [string, number] {
  if (text[start] !== '"') {
    const end = text.indexOf(' ', start)
    return end < 0 ? [text.slice(start), text.length] : [text.slice(start, end), end]
  }
  let out = ''
  let i = start + 1
  while (i < text.length) {
    const c = text[i]!
    if (c === '\\' && i + 1 < text.length) {
      const n = text[i + 1]!
      out += n === 'n' ? '\n' : n === 'r' ? '\r' : n === 't' ? '\t' : n
      i += 2
      continue
    }
    if (c === '"') return [out, i + 1]
    out += c
    i++
  }
  throw new ReplyProtocolError(`unterminated quoted string in ${JSON.stringify(text.slice(0, 80))}`)
}
