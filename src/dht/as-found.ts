/**
 * What `run` hands its callback, yielded as it comes: an operation that reports results through a
 * callback (a lookup's providers) read as an async iterator. Ends when `run` settles, with its
 * error if it failed; values that came before are yielded first.
 */
export async function * asFound<T> (run: (found: (value: T) => void) => Promise<unknown>): AsyncGenerator<T> {
  const queue: T[] = []
  let wake: (() => void) | undefined
  let finished = false
  let failed = false
  let failure: unknown
  run(value => { queue.push(value); wake?.() }).then(
    () => { finished = true; wake?.() },
    (err: unknown) => { failed = true; failure = err; finished = true; wake?.() })
  while (true) {
    if (queue.length > 0) { yield queue.shift()!; continue }
    if (finished) break
    await new Promise<void>(resolve => { wake = resolve })
    wake = undefined
  }
  if (failed) throw failure
}
