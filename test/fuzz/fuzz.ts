// What every fuzz target shares: how long it runs, the only errors a parser may throw, arbitrary
// CBOR values, and mutations of valid inputs. `npm run fuzz -- --minutes N` (scripts/fuzz.js)
// sets OHT_FUZZ_MS, the time each property gets; without it each runs a few hundred cases, so
// all targets together stay within the test suite's budget.
import fc from 'fast-check'

export { fc }

const timeLimitMs = Number(process.env.OHT_FUZZ_MS ?? 0)
const seed = process.env.OHT_FUZZ_SEED != null ? Number(process.env.OHT_FUZZ_SEED) : undefined

/** fast-check parameters: `runs` cases in the test suite, or OHT_FUZZ_MS of cases in a long run. */
export function params<T> (runs: number, examples: T[] = []): fc.Parameters<T> {
  const base: fc.Parameters<T> = { examples, ...(seed != null ? { seed } : {}) }
  if (timeLimitMs > 0) return { ...base, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false }
  return { ...base, numRuns: runs }
}

type ErrorClass = abstract new (...args: never[]) => Error

/**
 * Runs `parse`; anything it throws must be one of the parser's documented error types. Returns
 * the value, or undefined when it was refused.
 */
export function only<T> (errors: readonly ErrorClass[], parse: () => T): T | undefined {
  try {
    return parse()
  } catch (err) {
    if (errors.some(E => err instanceof E)) return undefined
    throw new Error(`threw an undocumented ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
}

/** The async form of `only`. */
export async function onlyAsync<T> (errors: readonly ErrorClass[], parse: () => Promise<T>): Promise<T | undefined> {
  try {
    return await parse()
  } catch (err) {
    if (errors.some(E => err instanceof E)) return undefined
    throw new Error(`threw an undocumented ${(err as Error)?.name ?? typeof err}: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
}

/** Messages of V8's own TypeErrors and RangeErrors: input that reached code which never checked it. */
export const ENGINE_ERROR = /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not a constructor|Cannot convert|Invalid array length|Maximum call stack|out of range|Offset is outside|Invalid typed array length|Unexpected token|Cannot destructure/

/** Keys the oht wire formats use, so arbitrary maps often reach past the first check. */
const WIRE_KEYS = ['t', 'v', 'i', 'k', 'a', 'r', 'e', 'm', 'n', 'p', 's', 'y', 'x', 'q', 'd', 'mac', 'data', 'from', 'count', 'index', 'leaf', 'siblings', 'reason',
  'oht', 'cipher', 'blockSize', 'blockCount', 'size', 'root', 'body', 'kind', 'name', 'created', 'files', 'path', 'mime', 'executable']

/** Arbitrary DAG-CBOR values (what dag-cbor can encode), maps keyed mostly by wire field names. */
export const cborValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>(tie => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(),
    fc.integer(), fc.nat(), fc.constantFrom(0, 1, 2, 32, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -1),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string(), fc.constantFrom('auth', 'manifest?', 'manifest', 'leaves?', 'leaves', 'proof?', 'proof', 'refuse', 'i', 'm', 'file', 'dir', 'AES-256-GCM', 'tcp:127.0.0.1:1'),
    fc.uint8Array({ maxLength: 80 }), fc.constantFrom(new Uint8Array(20), new Uint8Array(32), new Uint8Array(64)),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...WIRE_KEYS), fc.string({ maxLength: 6 })), tie('value'), { maxKeys: 6 })
  )
})).value

/** A valid input changed a little: bytes flipped, inserted, removed, cut or repeated. */
export function mutated (bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = bytes.length
  const at = fc.nat({ max: Math.max(0, n - 1) })
  return fc.oneof(
    fc.tuple(at, fc.integer({ min: 1, max: 255 })).map(([i, x]) => { const b = Uint8Array.from(bytes); if (n > 0) b[i] = b[i]! ^ x; return b }),
    fc.tuple(fc.nat({ max: n }), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, ins]) => Uint8Array.from([...bytes.subarray(0, i), ...ins, ...bytes.subarray(i)])),
    fc.tuple(at, fc.integer({ min: 1, max: 8 })).map(([i, k]) => Uint8Array.from([...bytes.subarray(0, i), ...bytes.subarray(i + k)])),
    fc.nat({ max: n }).map(i => bytes.slice(0, i)),
    fc.tuple(at, at).map(([i, j]) => Uint8Array.from([...bytes, ...bytes.subarray(Math.min(i, j), Math.max(i, j) + 1)]))
  ).filter(b => !Buffer.from(b).equals(Buffer.from(bytes)))
}

/** Splits `bytes` into chunks at arbitrary places (how a socket may deliver them). */
export function chunked (bytes: Uint8Array): fc.Arbitrary<Buffer[]> {
  return fc.uniqueArray(fc.nat({ max: bytes.length }), { maxLength: 12 }).map(cuts => {
    const points = [0, ...cuts.sort((a, b) => a - b), bytes.length]
    const out: Buffer[] = []
    for (let i = 1; i < points.length; i++) if (points[i]! > points[i - 1]!) out.push(Buffer.from(bytes.subarray(points[i - 1], points[i])))
    return out
  })
}
