// Small statistics shared by the benchmarks' reports.

/** The `q` quantile of `xs` (nearest rank, no interpolation); NaN for no samples. */
export function quantile (xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

/** Rejects with `what` if `work` has not settled after `ms`: every wait of a benchmark has a deadline. */
export async function within<T> (work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([work, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`${what}: no answer in ${ms / 1000} s`)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
