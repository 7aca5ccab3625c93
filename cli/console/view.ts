// The console's screen (Ink + React without JSX): the output pane above, the status line, the
// input line with its cursor, and a hint line (completion candidates, running commands). Lines
// are wrapped here to the width, so the pane's height is exact; PageUp/PageDown scroll it.
import React, { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { Box, Text, useInput, useWindowSize } from 'ink'
import { t } from '../i18n/index.ts'
import type { Tone } from './spec.ts'
import { edit, emptyLine, visible, type LineState } from './line.ts'
import type { ConsoleSession } from './session.ts'
import { statusLine } from './status.ts'

const h = React.createElement
const TONE_COLOR: Record<Tone, string | undefined> = { normal: undefined, error: 'red', warn: 'yellow', event: 'cyan', dim: 'gray', ok: 'green' }
const PROMPT = 'oht> '

export interface ConsoleViewProps {
  session: ConsoleSession
  embedded: boolean
  /** Ctrl-C with nothing running and an empty line: the view asks before leaving. */
  onQuit: () => void
}

export function ConsoleView ({ session, embedded, onQuit }: ConsoleViewProps): React.ReactElement {
  const { columns, rows } = useWindowSize()
  const width = Math.max(20, columns)
  const height = Math.max(6, rows)
  useSyncExternalStore(cb => session.subscribe(cb), () => session.version)
  // The line lives in a ref: one input chunk may hold several keys (a paste, or keys sent
  // together), and each must see the edits of the one before.
  const lineRef = useRef<LineState>(emptyLine)
  const [line, setLineState] = useState<LineState>(emptyLine)
  const setLine = (next: LineState | ((l: LineState) => LineState)): void => {
    lineRef.current = typeof next === 'function' ? next(lineRef.current) : next
    setLineState(lineRef.current)
  }
  const [hint, setHint] = useState<string>('')
  const [scroll, setScroll] = useState(0)
  const [quitArmed, setQuitArmed] = useState(false)
  const paneRows = height - 3

  const submit = (): void => {
    const text = lineRef.current.text
    setLine(emptyLine); setHint(''); setScroll(0)
    session.submit(text)
  }
  const completeNow = (): void => {
    const at = lineRef.current
    void session.complete(at.text, at.cursor).then(c => {
      if (lineRef.current.text === at.text && lineRef.current.cursor === at.cursor) setLine({ text: c.line, cursor: c.cursor })
      setHint(c.candidates.length > 0 ? c.candidates.slice(0, 40).join('  ') : '')
    })
  }

  // The prompt shows once the input is live (useInput's effect, which turns raw mode on, runs
  // before this one): keys typed before would be lost.
  const [ready, setReady] = useState(false)
  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      if (session.cancel()) { setQuitArmed(false); return }
      if (lineRef.current.text !== '') { setLine(emptyLine); setHint(''); return }
      if (quitArmed) { onQuit(); return }
      setQuitArmed(true)
      setHint(t('console.ctrlCQuit'))
      return
    }
    setQuitArmed(false)
    if (key.return) { submit(); return }
    if (key.tab) { completeNow(); return }
    if (key.upArrow) { const prev = session.history.up(lineRef.current.text); if (prev != null) setLine({ text: prev, cursor: prev.length }); return }
    if (key.downArrow) { const next = session.history.down(); if (next != null) setLine({ text: next, cursor: next.length }); return }
    if (key.pageUp) { setScroll(s => Math.min(Math.max(0, wrapped.length - paneRows), s + paneRows - 1)); return }
    if (key.pageDown) { setScroll(s => Math.max(0, s - (paneRows - 1))); return }
    if (key.leftArrow) { setLine(l => edit(l, { type: key.ctrl || key.meta ? 'wordLeft' : 'left' })); return }
    if (key.rightArrow) { setLine(l => edit(l, { type: key.ctrl || key.meta ? 'wordRight' : 'right' })); return }
    if (key.home || (key.ctrl && input === 'a')) { setLine(l => edit(l, { type: 'home' })); return }
    if (key.end || (key.ctrl && input === 'e')) { setLine(l => edit(l, { type: 'end' })); return }
    if (key.ctrl && input === 'u') { setLine(l => edit(l, { type: 'killBefore' })); return }
    if (key.ctrl && input === 'k') { setLine(l => edit(l, { type: 'killAfter' })); return }
    if (key.ctrl && input === 'w') { setLine(l => edit(l, { type: 'killWord' })); return }
    if (key.ctrl && input === 'l') { session.clear(); return }
    // Terminals send Backspace as DEL (0x7f), which Ink reports as `delete`.
    if (key.backspace || key.delete) { setLine(l => edit(l, { type: 'backspace' })); return }
    if (key.ctrl || key.meta || key.escape) return
    // A chunk of several keys: Enter and Tab inside it act as they would typed one by one.
    for (const piece of input.split(/([\r\n\t])/)) {
      if (piece === '\r' || piece === '\n') submit()
      else if (piece === '\t') completeNow()
      else if (piece !== '') setLine(l => edit(l, { type: 'insert', text: piece }))
    }
  })

  useEffect(() => { setReady(true) }, [])

  const wrapped = session.lines.flatMap(l => wrap(l.text, width).map((text, i) => ({ key: `${l.id}:${i}`, text, tone: l.tone })))
  const end = wrapped.length - scroll
  const shown = wrapped.slice(Math.max(0, end - paneRows), end)
  const v = visible(line, width - PROMPT.length)
  const running = session.running
  const hintText = hint !== '' ? hint : running.length > 0 ? t('console.running', { n: running.length, command: running.at(-1)!.slice(0, width - 30) }) : scroll > 0 ? t('console.scrolled', { n: scroll }) : ''

  return h(Box, { flexDirection: 'column', width, height },
    h(Box, { flexDirection: 'column', height: paneRows },
      ...Array.from({ length: paneRows - shown.length }, (_, i) => h(Text, { key: `pad${i}` }, ' ')),
      ...shown.map(l => h(Text, { key: l.key, color: TONE_COLOR[l.tone], wrap: 'truncate' }, l.text === '' ? ' ' : l.text))),
    h(Text, { inverse: true, wrap: 'truncate' }, statusLine(session.status, width, embedded)),
    h(Text, { wrap: 'truncate' }, ready ? PROMPT : '…'.padEnd(PROMPT.length), v.text.slice(0, v.cursor), h(Text, { inverse: true }, v.text[v.cursor] ?? ' '), v.text.slice(v.cursor + 1)),
    h(Text, { color: 'gray', wrap: 'truncate' }, hintText === '' ? ' ' : hintText))
}

/** A line cut into pieces of at most `width` columns (characters; wide glyphs are rare in this output). */
export function wrap (text: string, width: number): string[] {
  const out: string[] = []
  let rest = text
  while (rest.length > width) {
    // At the last blank that keeps at least half a line; a long word (a link) is cut.
    const blank = rest.lastIndexOf(' ', width)
    const cut = blank >= width / 2 ? blank : width
    out.push(rest.slice(0, cut))
    rest = rest.slice(blank === cut ? cut + 1 : cut)
  }
  out.push(rest)
  return out
}
