// The input line as a value: text and cursor, and the edits keys make (pure, for the view).
export interface LineState { text: string, cursor: number }

export const emptyLine: LineState = { text: '', cursor: 0 }

export type LineEdit =
  | { type: 'insert', text: string }
  | { type: 'backspace' } | { type: 'delete' }
  | { type: 'left' } | { type: 'right' } | { type: 'home' } | { type: 'end' }
  | { type: 'wordLeft' } | { type: 'wordRight' }
  /** Ctrl-U: everything before the cursor; Ctrl-K: everything after; Ctrl-W: the word before. */
  | { type: 'killBefore' } | { type: 'killAfter' } | { type: 'killWord' }

export function edit (s: LineState, e: LineEdit): LineState {
  const { text, cursor } = s
  switch (e.type) {
    case 'insert': {
      const clean = e.text.replace(/[\r\n\t]+/g, ' ').replace(/\p{Cc}/gu, '')
      return { text: text.slice(0, cursor) + clean + text.slice(cursor), cursor: cursor + clean.length }
    }
    case 'backspace': return cursor === 0 ? s : { text: text.slice(0, cursor - 1) + text.slice(cursor), cursor: cursor - 1 }
    case 'delete': return cursor >= text.length ? s : { text: text.slice(0, cursor) + text.slice(cursor + 1), cursor }
    case 'left': return { text, cursor: Math.max(0, cursor - 1) }
    case 'right': return { text, cursor: Math.min(text.length, cursor + 1) }
    case 'home': return { text, cursor: 0 }
    case 'end': return { text, cursor: text.length }
    case 'wordLeft': return { text, cursor: wordStart(text, cursor) }
    case 'wordRight': {
      const m = /^\s*\S*/.exec(text.slice(cursor))
      return { text, cursor: cursor + (m?.[0].length ?? 0) }
    }
    case 'killBefore': return { text: text.slice(cursor), cursor: 0 }
    case 'killAfter': return { text: text.slice(0, cursor), cursor }
    case 'killWord': {
      const start = wordStart(text, cursor)
      return { text: text.slice(0, start) + text.slice(cursor), cursor: start }
    }
  }
}

function wordStart (text: string, cursor: number): number {
  let i = cursor
  while (i > 0 && /\s/.test(text[i - 1]!)) i--
  while (i > 0 && !/\s/.test(text[i - 1]!)) i--
  return i
}

/** The part of the line that fits `width` columns around the cursor (long lines scroll sideways). */
export function visible (s: LineState, width: number): { text: string, cursor: number } {
  if (width <= 1 || s.text.length < width) return { text: s.text, cursor: s.cursor }
  const start = Math.max(0, Math.min(s.cursor - Math.floor(width * 0.75), s.text.length - width + 1))
  return { text: s.text.slice(start, start + width - 1), cursor: s.cursor - start }
}
