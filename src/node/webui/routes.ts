// The UI's page and form routes: a GET renders a page, a POST does one thing and sends the
// browser on (303), so every page works without JavaScript.
import type { StreamRegistry } from './media.ts'
import type { Action, Page, PageContext } from './pages/context.ts'
import { addShare, sharesPage } from './pages/shares.ts'
import { cancelTransfer, pauseTransfer, resumeTransfer, selectFiles, transferPage, transfersPage } from './pages/transfers.ts'
import { fetchPage, playerPage, playFormPage, startFetch, startPlay } from './pages/fetch.ts'
import { dhtPage, dhtPut, peersPage, pinsPage, saveSettings, settingsPage } from './pages/node.ts'
import { namesPage, publishName, removeName } from './pages/names.ts'
import { cancelCode, openContactCode, receiveByCode, sendByCode, sendPage, useContactCode } from './pages/invites.ts'
import { acceptContact, addContact, castContacts, contactPage, contactsPage, rejectContact, removeContact, requestContact, sendContactFile, takeContactFile, whisperContact } from './pages/contacts.ts'
import { channelPage, channelsPage, createChannel, followChannel, inviteToChannel, joinChannel, leaveChannel, postToChannel, revokeFromChannel, shareToChannel } from './pages/channels.ts'

export type PageRoute = (ctx: PageContext, params: Record<string, string>) => Promise<Page>

interface Route<T> { pattern: RegExp, names: string[], run: T }

export interface UiRoutes {
  pages: Array<Route<PageRoute>>
  actions: Array<Route<Action>>
}

function route<T> (path: string, run: T): Route<T> {
  const names: string[] = []
  const pattern = new RegExp('^' + path.replace(/:(\w+)/g, (_m, name: string) => { names.push(name); return '([^/]+)' }) + '$')
  return { pattern, names, run }
}

export function uiRoutes (streams: StreamRegistry): UiRoutes {
  return {
    pages: [
      route<PageRoute>('/shares', sharesPage),
      route<PageRoute>('/transfers', transfersPage),
      route<PageRoute>('/transfers/:id', transferPage),
      route<PageRoute>('/fetch', fetchPage),
      route<PageRoute>('/play', playFormPage),
      route<PageRoute>('/play/:id', playerPage(streams)),
      route<PageRoute>('/pins', pinsPage),
      route<PageRoute>('/dht', dhtPage),
      route<PageRoute>('/peers', peersPage),
      route<PageRoute>('/settings', settingsPage),
      route<PageRoute>('/contacts', contactsPage),
      route<PageRoute>('/contacts/:name', contactPage),
      route<PageRoute>('/names', namesPage),
      route<PageRoute>('/send', sendPage),
      route<PageRoute>('/channels', channelsPage),
      route<PageRoute>('/channels/:ref', channelPage)
    ],
    actions: [
      route<Action>('/shares', addShare),
      route<Action>('/transfers/:id/pause', pauseTransfer),
      route<Action>('/transfers/:id/resume', resumeTransfer),
      route<Action>('/transfers/:id/cancel', cancelTransfer),
      route<Action>('/transfers/:id/files', selectFiles),
      route<Action>('/fetch', startFetch),
      route<Action>('/play', startPlay(streams)),
      route<Action>('/dht/put', dhtPut),
      route<Action>('/settings', saveSettings),
      route<Action>('/contacts/request', requestContact),
      route<Action>('/contacts/accept', acceptContact),
      route<Action>('/contacts/reject', rejectContact),
      route<Action>('/contacts/add', addContact),
      route<Action>('/contacts/whisper', whisperContact),
      route<Action>('/contacts/cast', castContacts),
      route<Action>('/contacts/:name/whisper', whisperContact),
      route<Action>('/contacts/:name/rm', removeContact),
      route<Action>('/contacts/:name/file', sendContactFile),
      route<Action>('/contacts/:name/take', takeContactFile),
      route<Action>('/names/publish', publishName),
      route<Action>('/names/rm', removeName),
      route<Action>('/send', sendByCode),
      route<Action>('/send/cancel', cancelCode),
      route<Action>('/send/receive', receiveByCode),
      route<Action>('/contacts/invite', openContactCode),
      route<Action>('/contacts/redeem', useContactCode),
      route<Action>('/channels/create', createChannel),
      route<Action>('/channels/join', joinChannel),
      route<Action>('/channels/:ref/post', postToChannel),
      route<Action>('/channels/:ref/share', shareToChannel),
      route<Action>('/channels/:ref/invite', inviteToChannel),
      route<Action>('/channels/:ref/revoke', revokeFromChannel),
      route<Action>('/channels/:ref/follow', followChannel),
      route<Action>('/channels/:ref/leave', leaveChannel)
    ]
  }
}

/** The first route matching `path`, with its `:name` parameters. */
export function match<T> (routes: Array<Route<T>>, path: string): { run: T, params: Record<string, string> } | undefined {
  for (const r of routes) {
    const m = r.pattern.exec(path)
    if (m == null) continue
    try {
      return { run: r.run, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])) }
    } catch { return undefined }
  }
  return undefined
}
