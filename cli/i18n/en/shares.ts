// `oht unshare`, the fetched shares in `oht ls`, and the daemon's resumed transfers.
export default {
  'shares.unshare.description': 'stop sharing a share and forget it: the daemon stops seeding it and stops announcing it ' +
    '(its DHT record then expires), and forgets it. Your own files stay where they are; a fetched share\'s files stay too ' +
    'unless --delete-data is given.',
  'shares.unshare.argRef': 'the share: its id or its oht:// link (as oht ls prints)',
  'shares.unshare.optDeleteData': 'also delete the files fetches of this share wrote (and their .part files)',
  'shares.unshare.done': 'no longer sharing {id}',
  'shares.unshare.removed': 'deleted {path}',
  'shares.unshare.badRef': 'not a share id or link: "{ref}" (oht ls prints the ids)',
  'shares.fetched': 'fetched',
  'shares.state.fetching': 'fetching',
  'shares.state.paused': 'paused',
  'shares.state.seeding': 'seeding',
  'shares.state.complete': 'done',
  'shares.state.failed': 'failed',
  'shares.optSeedRatio': 'with a daemon: stop seeding this share once it served this many times its size (default: config seedRatio, else seed on)',
  'shares.optSeedTime': 'with a daemon: stop seeding this share after this long, e.g. 12h (default: config seedTime, else seed on)',
  'shares.badRatio': 'not a ratio: {value} (a number ≥ 0, e.g. 2)',
  'shares.resumed': 'resuming {count} unfinished fetch(es)',
  'shares.daemonHelp': '\nAcross restarts: the daemon records its transfers in the data directory (sealed). Started again ' +
    'after a stop or a crash (kill -9), it seeds its owned, pinned and fetched shares, resumes unfinished fetches by ' +
    'itself (their peers and the DHT\'s providers, retrying with backoff) and keeps paused ones paused. A fetch that ' +
    'does not fit on its disk, or fills it, is paused and resumes once there is room. oht unshare stops a share; ' +
    'oht config set maxUpload|maxDownload|seedRatio|seedTime applies while it runs.'
}
