export default {
  'webui.description': 'the daemon\'s web UI on 127.0.0.1 (shares, transfers, fetch, player, pins, DHT, peers, settings), and with --onion on its own onion service for Tor Browser. Not built yet: the zero-install fetch page (--public-fetch)',
  'webui.start.optOnion': 'also publish the UI on its own onion service that only holders of the printed client key reach (Tor v3 client authorization; Tor transport only)',
  'webui.onion': 'over Tor: {origin}; in Tor Browser open',
  'webui.onionKey': 'and when it asks for the onion service\'s key, paste:',
  'webui.onionAuthLine': '(for a tor client\'s ClientOnionAuthDir, a .auth_private file with this line:)',
  'webui.start.description': 'start the web UI (or keep it running) and print a single-use login URL',
  'webui.start.optPort': 'loopback port to listen on (0: any free port)',
  'webui.stop.description': 'stop the web UI (every browser session ends)',
  'webui.status.description': 'whether the web UI runs, and where',
  'webui.noDaemon': 'the web UI is served by the daemon: start `oht daemon` first',
  'webui.badPort': 'not a port: {port}',
  'webui.started': 'web UI on {origin}; open this address in a browser to log in:',
  'webui.once': '(the address works once and for 15 minutes; run `oht webui start` again for another)',
  'webui.stopped': 'web UI stopped',
  'webui.running': 'web UI running on {origin}',
  'webui.notRunning': 'web UI not running'
}
