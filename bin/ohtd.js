#!/usr/bin/env node
// `ohtd [options]` is `oht daemon [options]` (a name for service managers and process lists).
// The launcher may re-execute itself with the same arguments: 'daemon' is inserted only once.
if (process.argv[2] !== 'daemon') process.argv.splice(2, 0, 'daemon')
await import('./oht.js')
