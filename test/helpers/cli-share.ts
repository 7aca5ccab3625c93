// What the CLI tests of sharing and fetching share: the link forms, the JSON shapes of `oht share`,
// `oht fetch` and `oht ls`, and a check that a folder holds exactly the expected files.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listTree, ohtJson, type TreeEntry } from './cli.ts'

export const LINK_RE = /^oht:\/\/(b[a-z2-7]{58})#([A-Za-z0-9_-]{43})$/
export const VERIFY_RE = /^oht-verify:\/\/(b[a-z2-7]{58})#([A-Za-z0-9_-]{43})$/

export interface ShareJson { link: string, verifyCap: string, id: string, bytes: number }
export interface FetchJson { path: string, bytes: number, seconds: number, peers: number }
export interface ListJson { shares: Array<{ id: string, role: string, bytes: number, link?: string }> }

export async function share (dataDir: string, args: readonly string[]): Promise<ShareJson & { stderr: string }> {
  const { value, result } = await ohtJson<ShareJson>(dataDir, ['share', ...args])
  return { ...value, stderr: result.stderr }
}

/** Asserts that `root` holds exactly these regular files (and their parent directories), with these bytes. */
export async function assertFiles (root: string, files: Record<string, Uint8Array>): Promise<void> {
  const expected = new Map<string, TreeEntry>()
  for (const [path, bytes] of Object.entries(files)) {
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) expected.set(parts.slice(0, i).join('/'), { type: 'dir' })
    expected.set(path, { type: 'file', size: bytes.length })
  }
  const actual = await listTree(root)
  assert.deepEqual(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()), `unexpected tree under ${root}`)
  for (const [path, bytes] of Object.entries(files)) {
    assert.ok(Buffer.from(bytes).equals(await readFile(join(root, path))), `${path} differs from the original`)
  }
}

export async function listShares (dataDir: string): Promise<ListJson['shares']> {
  return (await ohtJson<ListJson>(dataDir, ['ls'])).value.shares
}
