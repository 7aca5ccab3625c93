import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CASES, computeVector } from '../vectors/vectors.ts'
import { BLOCK_LABELS } from '../../src/blocks/caps.ts'
import { ONION_LABELS } from '../../src/onion/caps.ts'

const recorded = JSON.parse(readFileSync(new URL('../vectors/format-v2.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>
const spec = readFileSync(new URL('../../docs/FORMAT.md', import.meta.url), 'utf8')

for (const c of CASES) {
  test(`FORMAT.md test vector: ${c.name}`, async () => {
    const expected = recorded.find(r => r.name === c.name)
    assert.ok(expected != null, 'vector recorded')
    assert.deepEqual(await computeVector(c), expected)
    for (const field of ['manifestCid', 'link', 'verifyCap', 'merkleRootHex', 'topicHex']) {
      assert.ok(spec.includes(String(expected[field])), `docs/FORMAT.md quotes ${field}`)
    }
    for (const cid of expected.blockCids as string[]) assert.ok(spec.includes(cid))
  })
}

test('FORMAT.md lists every label of the blocks and onion layers', () => {
  for (const label of [...Object.values(BLOCK_LABELS), ...Object.values(ONION_LABELS)]) {
    assert.match(label, /^oht\/v2\/[a-z/-]+$/)
    assert.ok(spec.includes(`| \`${label}\` |`), `docs/FORMAT.md §10 lists ${label}`)
  }
})
