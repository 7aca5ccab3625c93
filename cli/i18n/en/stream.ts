export default {
  'stream.description': 'stream a file of a share to a media player while it downloads: prints a local URL that answers HTTP Range requests as soon as the blocks under them arrive (what the player reads is fetched first; the rest of the share downloads at a lower priority while the stream is open, so a seek does not wait behind it: `oht fetch` gets a whole share fastest), or starts --player with it. With a daemon running, the daemon fetches and serves.',
  'stream.argLink': 'oht:// link',
  'stream.optFile': 'the file of the share to play (its path in the share; default: the first audio/video file)',
  'stream.optPlayer': 'start this player with the URL, e.g. mpv or vlc (no shell; {url} marks where the URL goes)',
  'stream.optPeer': 'a peer to fetch from, e.g. tcp:127.0.0.1:4001 (repeatable)',
  'stream.optOutput': 'where the downloaded files go (default: <data dir>/streams)',
  'stream.serving': 'serving until interrupted (Ctrl-C)',
  'stream.complete': 'download complete: {path}',
  'stream.failed': 'the download failed: {reason}',
  'stream.daemonNoStreams': 'the running daemon does not serve streams (it predates them); stop it, or use another --data-dir',
  'stream.playerExited': 'the player exited with status {code}'
}
