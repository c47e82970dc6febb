// Calling a DataClient method the way its author wrote it: sync, promise, or trailing Node callback.

import { ClusterClientError, ErrorCodes } from './errors.js'

type NodeCallback = (err: unknown, value?: unknown) => void

export function callMethod(target: object, method: string, args: unknown[], clientName: string): Promise<unknown> {
  const fn = (target as Record<string, unknown>)[method]
  if (typeof fn !== 'function') {
    return Promise.reject(
      new ClusterClientError(ErrorCodes.NO_METHOD, `The DataClient of cluster client "${clientName}" has no method "${method}".`, {
        name: clientName,
        method,
      }),
    )
  }
  return new Promise((resolve, reject) => {
    let settled = false
    const done: NodeCallback = (err, value) => {
      if (settled) return
      settled = true
      if (err) reject(err)
      else resolve(value)
    }
    // A declared parameter left over after the arguments is taken to be the callback.
    const wantsCallback = fn.length > args.length
    let ret: unknown
    try {
      ret = fn.apply(target, wantsCallback ? [...args, done] : args)
    } catch (err) {
      done(err ?? new Error(`"${method}" threw without a reason`))
      return
    }
    if (isThenable(ret)) ret.then((v) => done(null, v), (e) => done(e ?? new Error(`"${method}" rejected without a reason`)))
    else if (!wantsCallback) done(null, ret)
  })
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function'
}

/** Rejects with `onTimeout()` unless `p` settles within `ms` (0 = no limit); an abort rejects at once with `abort.error()`. */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  abort?: { signal: AbortSignal; error: () => Error },
): Promise<T> {
  const signal = abort?.signal
  if (ms <= 0 && !signal) return p
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abort!.error())
    const timer = ms > 0 ? setTimeout(() => finish(() => reject(onTimeout())), ms) : undefined
    const onAbort = () => finish(() => reject(abort!.error()))
    signal?.addEventListener('abort', onAbort, { once: true })
    function finish(settle: () => void) {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      settle()
    }
    p.then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    )
  })
}
