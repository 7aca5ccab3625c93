#!/usr/bin/env node
// `oht-console`: the console as its own executable, the same as `oht console` (global options
// such as --data-dir and --lang work before or after). It goes through bin/oht.js, which picks
// the build or the sources and sets the runtime flags.
// bin/oht.js may re-execute this file with its runtime flags: the word is added once.
if (process.argv[2] !== 'console') process.argv.splice(2, 0, 'console')
await import('./oht.js')
