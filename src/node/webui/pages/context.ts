// What a page is given, and what it gives back.
import type { Html } from '../html.ts'
import type { Locale, Translate } from '../i18n/index.ts'

/** Calls the daemon's API in process (ApiServer.invoke): the answer's body, or a thrown error. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<unknown>

export interface PageContext {
  t: Translate
  locale: Locale
  /** Path and query of this page, for the language switch to come back to. */
  here: string
  query: URLSearchParams
  api: ApiCall
  /** Where fetches go unless the form says otherwise. */
  downloads: string
}

export interface Page {
  title: string
  body: Html
  /** The nav entry to mark as current. */
  nav: string
}

/** A form post: its fields, then where to send the browser (303). */
export type Action = (ctx: PageContext, form: URLSearchParams, params: Record<string, string>) => Promise<string>
