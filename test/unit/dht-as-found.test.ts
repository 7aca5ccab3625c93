// asFound: a callback-reporting operation read as an async iterator (the DHT's provider lookups).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { asFound } from '../../src/dht/index.ts'

test('yields each value as it is found, in order, and ends when the operation resolves', async () => {
  let release!: () => void
  const gate = new Promise<void>(resolve => { release = resolve })
  const it = asFound<number>(async found => { found(1); await gate; found(2); found(3) })
  assert.deepEqual(await it.next(), { value: 1, done: false }, 'the first value before the operation finishes')
  const rest = (async () => { const got: number[] = []; for await (const v of it) got.push(v); return got })()
  release()
  assert.deepEqual(await rest, [2, 3])
})

test('values found before a failure are yielded, then the failure is thrown', async () => {
  const got: string[] = []
  await assert.rejects(async () => {
    for await (const v of asFound<string>(async found => { found('a'); found('b'); throw new Error('lookup failed') })) got.push(v)
  }, /lookup failed/)
  assert.deepEqual(got, ['a', 'b'])
})

test('an operation that finds nothing ends at once', async () => {
  const got: unknown[] = []
  for await (const v of asFound(async () => {})) got.push(v)
  assert.deepEqual(got, [])
})
