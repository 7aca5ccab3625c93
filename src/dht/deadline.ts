// Bounds on DHT work, on the injected clock: a Deadline aborts its signal after a time or with its
// parent; abortable lets a caller give up on a promise that others still share (a dial).
import type { Clock, TimerHandle } from './clock.ts'
import { RpcError } from './session.ts'

export class Deadline {
  readonly controller = new AbortController()
  readonly #timer: TimerHandle
  readonly #clock: Clock
  readonly #parent: AbortSignal | undefined
  readonly #onParent = (): void => { this.controller.abort(this.#parent?.reason) }

  constructor (clock: Clock, ms: number, what: string, parent?: AbortSignal) {
    this.#clock = clock
    this.#parent = parent
    this.#timer = clock.setTimeout(() => { this.controller.abort(new RpcError('timeout', `${what} took longer than ${ms} ms`)) }, ms)
    if (parent?.aborted === true) this.controller.abort(parent.reason)
    else parent?.addEventListener('abort', this.#onParent, { once: true })
  }

  get signal (): AbortSignal { return this.controller.signal }

  clear (): void {
    this.#clock.clearTimeout(this.#timer)
    this.#parent?.removeEventListener('abort', this.#onParent)
  }
}

/** `promise`, or an RpcError('aborted') as soon as `signal` aborts (the promise runs on). */
export async function abortable<T> (promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return await promise
  return await new Promise<T>((resolve, reject) => {
    const onAbort = (): void => { reject(new RpcError('aborted', 'request aborted')) }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => { signal.removeEventListener('abort', onAbort) })
  })
}
