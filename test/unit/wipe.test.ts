// `oht wipe`: the keystore's bytes are overwritten before it is unlinked (a hard link to the same
// inode, made before, reads back zeros), then the whole data directory is gone; refusals are one
// clear error line each.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { link, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OhtNode } from '../../src/node/transfers/node.ts'
import { wipeDataDir } from '../../src/node/identity/wipe.ts'
import { exists, tempDir } from '../helpers/cli.ts'

test('wipe overwrites the keystore in place before unlinking it, and removes the data directory', async t => {
  const dir = await tempDir(t, 'oht-wipe-')
  const root = join(dir, 'node')
  const node = await OhtNode.open({ dataDir: root })
  await writeFile(join(dir, 'f.txt'), 'some content')
  await node.share([join(dir, 'f.txt')])
  await node.close()
  const keystore = join(root, 'keystore.json')
  const size = (await stat(keystore)).size
  await link(keystore, join(dir, 'same-inode'))
  const { files } = await wipeDataDir(root)
  assert.ok(files >= 5, `${files} files`)
  assert.equal(await exists(root), false)
  const after = await readFile(join(dir, 'same-inode'))
  assert.equal(after.length, size)
  assert.ok(after.every(b => b === 0), 'the keystore bytes were overwritten with zeros')
})
