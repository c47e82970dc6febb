// Who waits for an instance to have no call in flight (a drain: a reload, a scale-down), each until then or until
// its own timeout. Kept by whatever the router sends calls to: a service's controller, or a peer on another host.

export class IdleWaiters {
  #waiters: (() => void)[] = []

  /** Resolves at the next wake(), or after `timeoutMs`, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const idle = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((waiter) => waiter !== idle)
        resolve()
      }, timeoutMs)
      this.#waiters.push(idle)
    })
  }

  /** No call is in flight any more: everyone waiting goes on. */
  wake(): void {
    if (this.#waiters.length > 0) for (const resolve of this.#waiters.splice(0)) resolve()
  }
}
