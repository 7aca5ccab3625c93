// The oht command and its existing commands (cli/main.ts, cli/commands.ts, cli/context.ts).
import type { Params } from '../index.ts'
import { plural } from '../plural.ts'


export default {
  'cli.description': 'oht: encrypted, content-addressed file sharing over Tor onion services.\n\n' +
    'Every connection runs over Tor onion services (the default; oht starts its own tor or attaches ' +
    'to one) or, for tests and development only, plain TCP. Peers are found in an onion DHT from the ' +
    'link alone (--bootstrap or --network to join) or given with --peer.',
  'cli.optVersion': 'print the version',
  'cli.optHelp': 'show help for a command',
  'cli.optDataDir': 'node data directory (default: $OHT_HOME, else the platform data path)',
  'cli.optTransport': 'tor (default: onion services, needs tor on PATH) or tcp (tests and development: NOT anonymous)',
  'cli.daemon.optBootstrapHost': "also publish the network's shared onion address (with --network; Tor only) and answer newcomers with a sample of live peers",
  'cli.daemon.optRepublish': 'with --bootstrap-host: re-publish the shared address this often (± 25 %), e.g. 30m',
  'cli.optNetwork': 'a network key (oht-net:…, from oht network create): ask its shared onion address for peers',
  'cli.optMaxDownload': 'download limit per second over all shares, e.g. 4MiB',
  'cli.optMaxUploadPerPeer': 'upload limit per second for each peer on its own, e.g. 512KiB',
  'cli.optMaxDownloadPerPeer': 'download limit per second from each peer on its own, e.g. 1MiB',
  'cli.optBootstrap': 'a DHT node to join through, e.g. tcp:127.0.0.1:4001 or onion:<56>.onion:4001 (repeatable)',
  'cli.optTorControl': "a running tor's ControlPort to attach to, e.g. 127.0.0.1:9051 (default: start our own tor; password in $OHT_TOR_PASSWORD)",
  'cli.optTorCookie': "that tor's control auth cookie file (default: the path tor announces)",
  'cli.optListen': 'address the daemon listens on, e.g. 127.0.0.1:4001',
  'cli.optMaxUpload': 'upload limit per second over all shares, e.g. 2MiB',
  'cli.optJson': 'print one JSON object (the result) on stdout',
  'cli.optQuiet': 'print only the result',
  'cli.optLang': 'language of messages: en or de (default: the config\'s lang, else LANG)',
  'cli.optProgress': 'progress of long commands on stderr: auto (a bar on a terminal, lines otherwise, none with --json/--quiet), bar, lines, json or none',
  'cli.helpCommand': 'show help for a command',
  'cli.helpAfterError': '(run oht --help for usage)',
  'cli.errorPrefix': 'oht: error: ',
  'cli.warningPrefix': 'oht: warning: ',
  'cli.badProgressMode': 'unknown progress mode {mode} (known: {known})',
  'cli.badOption': 'bad value {value} for {option}: {reason}',
  'cli.expectedTransport': 'expected tor or tcp',
  'cli.expectedRate': 'expected a positive size per second, e.g. 512KiB, 2MiB',
  'cli.badBlockSize': 'bad block size {value}: expected a power of two from 16KiB to 16MiB, e.g. 256KiB',
  'cli.unknownTransport': 'unknown transport {kind} (tor or tcp)',

  'cli.init.description': 'create this node\'s keys and data directory (other commands do it on first use)',
  'cli.init.daemonRunning': 'already initialized: node {nodeId} (its daemon is running)',
  'cli.init.noPassphrase': 'keystore written without a passphrase: keys are protected by file permissions only (set OHT_PASSPHRASE before init to encrypt them)',
  'cli.init.created': 'initialized: node {nodeId}\ndata directory: {dataDir}',
  'cli.init.existed': 'already initialized: node {nodeId}\ndata directory: {dataDir}',

  'cli.share.description': 'share files or directories in place (nothing is copied) and print the link; ' +
    'several paths become one share. A running daemon (oht daemon) seeds it to peers.',
  'cli.share.argPath': 'files or directories',
  'cli.share.optName': 'top-level name of the share (default: the file or directory name)',
  'cli.share.optFollowSymlinks': 'include what symbolic links point to (default: skip links)',
  'cli.share.optBlockSize': 'plaintext block size, a power of two from 16KiB to 16MiB',
  'cli.share.optVerifyCap': 'also print the verify capability (fetch, check and serve without decrypting)',
  'cli.share.skipped': 'skipped {path}: {reason}',
  'cli.share.verifyCap': 'verify capability: {verifyCap}',

  'cli.status.description': 'this node: id, listening address, transport, and the swarms of a running daemon (without one, the id from the unlocked keystore: a protected one needs OHT_PASSPHRASE)',
  'cli.status.node': 'node {nodeId}',
  'cli.status.daemon': 'daemon listening on {address} ({transport})',
  'cli.status.noDaemon': 'no daemon running',
  'cli.status.broken': '  {id}  {name}  BROKEN, no longer served: {reason}',
  'cli.status.swarm': '  {id}  {role}  {held}/{wanted} blocks  {peers} peers  up {up}  down {down}',
  'cli.status.seeding': 'seeding',
  'cli.status.fetching': 'fetching',

  'cli.ls.description': 'list the shares this node owns or holds, and those its daemon fetched (with their state: fetching, paused, seeding, done, failed)',
  'cli.ls.own': 'own ',
  'cli.ls.hold': 'hold',
  'cli.ls.broken': '      BROKEN, no longer served: {reason} (share the files again to publish the new content)',
  'cli.ls.empty': 'no shares yet (oht share <path>)',

  'cli.fetch.description': 'fetch a share into a directory from the given peers, all at once, verifying every block ' +
    '(leaf hash and Merkle root) before it is written; files are written as .part and renamed ' +
    'when complete; a killed fetch resumes. Shares this node holds need no peers. With a daemon ' +
    'running, the fetch is one of its transfers (see oht dashboard); Ctrl-C cancels it. ' +
    'Without --peer, the share\'s providers are found in the DHT (a daemon is on it; an embedded ' +
    'fetch joins through --bootstrap).',
  'cli.fetch.argLink': 'oht:// link, or a name: oht://name/<account>/<name> or <petname>/<name>',
  'cli.fetch.optOutput': 'output directory',
  'cli.fetch.optPeer': 'a peer to fetch from, e.g. tcp:127.0.0.1:4001 (repeatable)',
  'cli.fetch.optFile': 'fetch only this path of a directory share (repeatable)',
  'cli.fetch.optForce': 'replace existing files; also fetch a share whose top name is hidden (.ssh) into the home folder or into an existing folder of that name',
  'cli.fetch.optMerge': 'write into a folder of the share\'s name that already exists (its files are still never replaced without --force)',
  'cli.fetch.interrupted': 'interrupted',
  'cli.fetch.dialFailed': 'could not reach {address}: {reason}',
  'cli.fetch.banned': 'banned peer {peer}…: {reason}',
  'cli.fetch.resuming': 'resuming: {resumed} of {blocks} blocks already here',
  'cli.fetch.done': (p: Params) => `${p.path} (${p.bytes} in ${p.seconds} s, ${Number(p.peers) === 0 ? 'from local blocks' : `from ${p.peers} ${plural('en', p.peers, { one: 'peer', other: 'peers' })}`})`,

  'cli.export.description': 'write a share\'s ciphertext as a CAR file: a UnixFS DAG whose raw leaves are the encrypted ' +
    'blocks, plus the manifest. Any IPFS node can import and serve it; only the link decrypts it.',
  'cli.export.argLink': 'oht:// link or oht-verify:// capability of a share this node holds',
  'cli.export.optCar': 'export as a CAR (the only format)',
  'cli.export.optOutput': 'output file (default: <id>.car)',
  'cli.export.done': '{path} ({blocks} blocks, {bytes}; UnixFS root {root})',

  'cli.import.description': 'import a CAR exported by oht: every block is checked against its CID and the ' +
    'Merkle root before anything is stored; the share can then be fetched with its link',
  'cli.import.argFile': 'CAR file',
  'cli.import.done': 'imported {id} ({blocks} blocks, {bytes} of plaintext)',

  'cli.daemon.description': 'run this node: listen on the transport, seed every share it owns and every share it ' +
    'fetches, run transfers, and serve the local API that the other commands and the dashboard use ' +
    'while it runs (a unix socket in the data directory; with --api-tcp or the config key api.tcp ' +
    'also a loopback TCP port that needs the token in <data dir>/api.token). ' +
    'The transport is Tor onion services by default (--transport tcp for tests: NOT anonymous).',
  'cli.daemon.optLogFile': 'append a debug log to this file (mode 0600): DEBUG=oht:swarm,oht:dht,… chooses what, default every oht namespace but oht:swarm:block',
  'cli.daemon.optApiTcp': 'also serve the API on this loopback address, e.g. 127.0.0.1:7701 (token required)',

  'cli.demo.description': 'a private network of nodes on this machine (all on 127.0.0.1), joined in a DHT: one ' +
    'shares a generated file, the others fetch it from her and from each other, the last finds them all ' +
    'in the DHT from the link alone and fetches from all at once; then the share travels as an IPFS CAR ' +
    'to an offline node. The nodes are onion services of a private Tor network started for the demo ' +
    '(when tor is installed; else plain TCP, NOT anonymous, with a notice); --transport tcp forces TCP (quicker).',
  'cli.demo.optSize': 'size of the generated file (default 16MiB over Tor, 64MiB over TCP)',
  'cli.demo.noTor': 'the demo over Tor needs tor on PATH (apt-get install tor); --transport tcp runs it without',
  'cli.demo.fallback': 'tor is not installed (apt-get install tor): running the demo over plain TCP on 127.0.0.1 instead, which is NOT anonymous',
  'cli.demo.optSeeders': 'nodes that seed before the last fetch',
  'cli.demo.optKeep': 'keep the demo directory',

  'cli.help.usage': 'Usage:',
  'cli.help.arguments': 'Arguments:',
  'cli.help.options': 'Options:',
  'cli.help.globalOptions': 'Global Options:',
  'cli.help.commands': 'Commands:',
  'cli.help.default': 'default',
  'cli.help.choices': 'choices',
  'cli.group.basic': 'Basic commands:',
  'cli.group.node': 'Running a node:',
  'cli.group.pinning': 'Pinning and accounts:',
  'cli.group.network': 'Network commands:',
  'cli.group.tools': 'Tool commands:',
  'cli.summary.init': 'create this node\'s keys and data directory',
  'cli.summary.share': 'share files or directories and print the link',
  'cli.summary.fetch': 'fetch a share from its link',
  'cli.summary.stream': 'stream a file of a share to a media player',
  'cli.summary.ls': 'list the shares this node owns or holds',
  'cli.summary.status': 'this node and its daemon',
  'cli.summary.daemon': 'run this node: seed, fetch, serve the API',
  'cli.summary.dashboard': 'a live view of a running daemon',
  'cli.summary.demo': 'a private network on this machine, to try oht',
  'cli.summary.pin': 'keep a share\'s blocks here or on another node',
  'cli.summary.unpin': 'end a pin of this node',
  'cli.summary.pins': 'which accounts may pin here',
  'cli.summary.caps': 'print the verify capability of a link',
  'cli.summary.account': 'account keys, signatures, delegations',
  'cli.summary.peers': 'list the DHT routing table',
  'cli.summary.dht': 'signed, expiring values in the onion DHT',
  'cli.summary.tor': "the daemon's tor: a new onion address",
  'cli.summary.network': 'networks that share one bootstrap address',
  'cli.summary.config': 'read and change the configuration file',
  'cli.summary.export': 'write a share\'s ciphertext as an IPFS CAR',
  'cli.summary.import': 'import a CAR exported by oht',
  'cli.help.examples': 'Examples:\n' +
    '  oht demo --transport tcp           try it: a private network on this machine\n' +
    '  oht share ./photos                 share a directory, print its oht:// link\n' +
    '  oht daemon &                       seed it over Tor\n' +
    '  oht fetch oht://… -o ~/Downloads   fetch a share from its link alone\n' +
    '  oht stream oht://… --player mpv    watch a video while it downloads\n' +
    '  oht help <command>                 everything about one command'
}
