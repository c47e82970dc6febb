// Reads a server-sent-events stream the way a page does, and waits for messages by predicate (no sleeps).

export class EventReader<M> {
  readonly messages: M[] = []
  readonly #waiters = new Set<{ test: (m: M) => boolean; resolve: (m: M) => void }>()
  readonly #abort = new AbortController()
  readonly done: Promise<void>
  status = 0
  headers: Headers | null = null

  constructor(url: string, init: RequestInit = {}) {
    this.done = this.#read(url, init)
  }

  /** The first message (already received or still to come) that passes `test`. */
  next(test: (m: M) => boolean, what: string, timeoutMs = 20_000): Promise<M> {
    const seen = this.messages.find(test)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const waiter = {
        test,
        resolve: (m: M) => {
          clearTimeout(timer)
          resolve(m)
        },
      }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new Error(`no message matching ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.messages).slice(0, 2000)}`))
      }, timeoutMs)
      this.#waiters.add(waiter)
    })
  }

  close(): void {
    this.#abort.abort()
  }

  async #read(url: string, init: RequestInit): Promise<void> {
    try {
      const response = await fetch(url, { ...init, signal: this.#abort.signal })
      this.status = response.status
      this.headers = response.headers
      if (!response.body) return
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      let buffer = ''
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n')
          if (data) this.#receive(JSON.parse(data) as M)
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error
    }
  }

  #receive(message: M): void {
    this.messages.push(message)
    for (const waiter of this.#waiters) {
      if (waiter.test(message)) {
        this.#waiters.delete(waiter)
        waiter.resolve(message)
      }
    }
  }
}
