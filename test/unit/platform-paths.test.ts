// The data and config paths without --data-dir: on Linux oht computes the XDG base directories
// itself (src/node/identity/datadir.ts, to keep env-paths off every command's start-up); they must
// be exactly env-paths' answer, with the XDG variables set, empty or unset.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import envPaths from 'env-paths'
import { platformPaths, xdgPaths } from '../../src/node/identity/datadir.ts'

const XDG = ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'] as const

test('the XDG paths are env-paths\' Linux paths, whatever the XDG variables say', () => {
  const saved = Object.fromEntries(XDG.map(k => [k, process.env[k]]))
  try {
    for (const value of [undefined, '', '/tmp/xdg-elsewhere']) {
      for (const k of XDG) { if (value == null) delete process.env[k]; else process.env[k] = `${value}/${k}` }
      if (value === '') for (const k of XDG) process.env[k] = ''
      const expected = process.platform === 'linux' ? envPaths('oht', { suffix: '' }) : undefined
      if (expected != null) assert.deepEqual(xdgPaths('oht', process.env), expected, `XDG variables ${value === undefined ? 'unset' : JSON.stringify(value)}`)
      assert.deepEqual(platformPaths(), envPaths('oht', { suffix: '' }))
    }
  } finally {
    for (const k of XDG) { if (saved[k] == null) delete process.env[k]; else process.env[k] = saved[k] }
  }
})
