// Privacy at rest: --memory, oht wipe, what fetch leaves in .part files (README "Privacy at rest").
export default {
  'privacy.optMemory': 'memory only: no data directory at all; keys, state, blocks and DHT records live in this ' +
    'process and are gone when it exits (the node is new every time: a new node id and, over Tor, a new onion address)',
  'privacy.daemonOptMemory': 'run a memory-only node (as the global --memory): nothing is written but what you fetch; ' +
    'its onion address is new on every start (over --tor-control it is added with Flags=DiscardPK, so not even tor keeps its key); ' +
    'other commands reach it with `oht --memory <command>`',
  'privacy.memoryWithDataDir': '--memory and --data-dir exclude each other: a memory-only node has no data directory',
  'privacy.memoryNoDataDir': '{what} needs a data directory: it cannot run with --memory',
  'privacy.fetchParts': '\nPrivacy: a file being fetched is written as plaintext to <name>.part beside its final name (blocks are ' +
    'decrypted as they arrive), so an interrupted fetch leaves readable data in the output directory until it is resumed or deleted. ' +
    'With --encrypted-parts nothing of the share is written as plaintext until every block is there: the blocks stay ' +
    'ciphertext in <name>.encrypted.part (useless without the link), then one final pass decrypts them into the files ' +
    '(each synced and renamed when complete) and removes it. That pass reads and writes the share once more (measured: about half the ' +
    'throughput at loopback speed, 6-7 s per GiB over Tor; bench/RESULTS.md); it needs twice the share\'s size free meanwhile. A fetch resumes in the mode it began in. ' +
    '`oht stream` always writes plaintext parts (it plays them as they arrive); a share this node already holds whole is restored without a network fetch.',
  'privacy.fetchOptEncryptedParts': 'keep the fetched blocks as ciphertext until the fetch is complete, then decrypt them in one pass (see Privacy below)',
  'privacy.wipe.description': 'delete this node\'s data directory: the keystore and account keystores are overwritten ' +
    'with zeros before they are unlinked, then the state, the blocks and every other file (also overwritten). ' +
    'Limits: on SSDs and journaling or copy-on-write filesystems (ext4 journal, btrfs, ZFS, APFS) old copies of the ' +
    'bytes may survive elsewhere on the device; full-disk encryption is what protects against that. ' +
    'Files you fetched elsewhere and the files you shared are not touched.',
  'privacy.wipe.optYes': 'really wipe (required)',
  'privacy.wipe.needsYes': 'oht wipe deletes the node in {dataDir} for good (its keys, shares and pins): add --yes to do it',
  'privacy.wipe.daemonRunning': 'a daemon runs on {dataDir}: stop it first',
  'privacy.wipe.nothing': 'nothing to wipe: {dataDir} does not exist',
  'privacy.wipe.notNode': '{dataDir} does not look like an oht data directory (no keystore.json, state or blocks): not wiping it',
  'privacy.wipe.done': 'wiped {dataDir}: {files} files overwritten and removed'
}
