// The CLI's sizes, durations and their display: src/node/units.ts (the web UI shows them too).
export * from '../src/node/units.ts'
