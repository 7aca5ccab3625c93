import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

export default {
  'dashboard.description': 'a live view of a running daemon: every transfer (size, progress, rates, ETA, peers; the streams it serves show as streaming), and ' +
    'for the selected one its peers and block map. Keys: arrows or j/k select, p pause/resume, ' +
    'c cancel, f file priorities, ? help, q quit. Talks to the daemon through its API only.',
  'dashboard.noDaemon': 'no daemon runs for this data directory: start one with oht daemon',
  'dashboard.noTty': 'the dashboard needs a terminal (use oht status --json in scripts)',
  'dashboard.connecting': 'connecting to the daemon…',
  'dashboard.node': 'node {id}…',
  'dashboard.listening': '{transport} {address}',
  'dashboard.notListening': 'not listening',
  'dashboard.tor': 'Tor {percent}%',
  'dashboard.dht': 'DHT {nodes} nodes',
  'dashboard.broken': 'BROKEN (files changed, not served): {names}',
  'dashboard.totals': (p: Params) => `${p.count} ${plural('en', p.count, { one: 'transfer', other: 'transfers' })} (${p.active} active)  down ${p.down}  up ${p.up}`,
  'dashboard.live': '● live',
  'dashboard.disconnected': '○ reconnecting…',
  'dashboard.col.name': 'NAME',
  'dashboard.col.size': 'SIZE',
  'dashboard.col.progress': 'PROGRESS',
  'dashboard.col.down': 'DOWN',
  'dashboard.col.up': 'UP',
  'dashboard.col.eta': 'ETA',
  'dashboard.col.peers': 'P',
  'dashboard.col.state': 'STATE',
  'dashboard.state.fetching': 'fetching',
  'dashboard.state.paused': 'paused',
  'dashboard.state.complete': 'done',
  'dashboard.state.seeding': 'seeding',
  'dashboard.state.failed': 'failed',
  'dashboard.state.cancelled': 'cancelled',
  'dashboard.state.streaming': 'streaming',
  'dashboard.empty': 'no transfers yet: oht fetch <link> --peer <address> adds one',
  'dashboard.mapTitle': 'blocks of {name} ({blocks}):  # held  + partly  > in flight  . missing',
  'dashboard.mapWaiting': 'waiting for the share\'s metadata…',
  'dashboard.mapNone': 'no block map (not fetching)',
  'dashboard.peer.id': 'PEER',
  'dashboard.peer.kind': 'KIND',
  'dashboard.peer.given': 'BLOCKS',
  'dashboard.peer.inflight': 'REQ',
  'dashboard.peer.state': 'STATE',
  'dashboard.peer.banned': 'banned',
  'dashboard.peer.choked': 'choked',
  'dashboard.peer.unchoked': 'unchoked',
  'dashboard.peer.chokesUs': 'chokes us',
  'dashboard.peer.none': 'no peers',
  'dashboard.peer.more': '… {count} more peers',
  'dashboard.keys': '↑↓/jk select  p pause/resume  c cancel  f files  ? help  q quit',
  'dashboard.confirmCancel': 'cancel {name}? y = yes, any other key = no',
  'dashboard.cancelled': 'cancelled (its .part files stay: fetching again resumes)',
  'dashboard.pausing': 'pausing {name}…',
  'dashboard.resuming': 'resuming {name}…',
  'dashboard.streamNoPause': 'a stream cannot be paused or narrowed: c cancels it',
  'dashboard.filesUnknown': 'the file list is not known yet (waiting for the manifest)',
  'dashboard.filesTitle': 'files: space = fetch or skip, enter = apply, esc = back',
  'dashboard.filesKeys': '↑↓/jk move  space fetch/skip  enter apply  esc back',
  'dashboard.error': 'error: {error}',
  'dashboard.help': 'oht dashboard: keys\n\n' +
    '  ↑ ↓ or k j   select a transfer\n' +
    '  p            pause or resume it (pause drops its peers; resume continues\n' +
    '               from the blocks already written)\n' +
    '  c            cancel it (asks first; written .part files stay)\n' +
    '  f            choose which files of it to fetch\n' +
    '  ?            this help\n' +
    '  q, Ctrl-C    quit (transfers go on in the daemon)\n\n' +
    'Block map: # held, + partly held, > in flight, . missing, blank = skipped.\n' +
    'Peers: BLOCKS = blocks it gave us, REQ = our requests in flight to it;\n' +
    'choked = we do not upload to it, chokes us = it does not upload to us.',
  'dashboard.helpClose': 'any key: back'
}
