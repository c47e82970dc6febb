// Ready probes against real sockets and real processes: each kind succeeding late, an attempt timing out, and an
// abandoned wait leaving no timer, listener or process behind. Attempts are observed through onAttempt, not timed.

import { afterEach, beforeEach, describe, expect, test } from '@jest/globals'
import { EventEmitter } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServiceError } from '../../src/errors.js'
import { checkOnce, waitUntilReady, type PolledProbe, type ResolvedProbe } from '../../src/probes/index.js'
import { freePort, isAlive } from './harness.js'

const timing = { intervalMs: 10, timeoutMs: 2_000, startGraceMs: 0 }
let dir: string
let closers: (() => void)[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'svc-probes-'))
})

afterEach(() => {
  for (const close of closers.splice(0)) close()
  rmSync(dir, { recursive: true, force: true })
})

function tcpServer(): Server {
  const server = createServer((socket) => socket.destroy())
  closers.push(() => server.close())
  return server
}

function httpServer(handler: (res: import('node:http').ServerResponse, n: number) => void): Promise<{ server: HttpServer; url: string }> {
  let n = 0
  const server = createHttpServer((_req, res) => handler(res, ++n))
  closers.push(() => {
    server.closeAllConnections()
    server.close()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as import('node:net').AddressInfo
    resolve({ server, url: `http://127.0.0.1:${port}/` })
  }))
}


/** Ref'd timers alive now: an abandoned wait must bring the count back to where it was. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** No timer left behind: the count comes back to `before` — at once, or within a moment, since the count is the whole
 * process's and a socket's own timer may still be on its way out. A timer the wait leaked (an interval of a minute)
 * would still be there. */
async function noTimersLeft(before: number): Promise<void> {
  await until(() => timers() <= before, 1000)
}

function lineSource() {
  const emitter = new EventEmitter()
  return {
    emit: (line: string) => emitter.emit('line', line),
    listeners: () => emitter.listenerCount('line'),
    lines: (listener: (line: string) => void) => {
      emitter.on('line', listener)
      return () => emitter.off('line', listener)
    },
  }
}

/** Resolves with the file's contents once a process has written them (fs.watch, not a timer). */
function written(path: string): Promise<string> {
  return new Promise((resolve) => {
    const check = () => {
      const text = existsSync(path) ? readFileSync(path, 'utf8').trim() : ''
      if (text === '') return false
      watcher.close()
      resolve(text)
      return true
    }
    const watcher = watch(dir, check)
    check()
  })
}

/** Waits for a condition the kernel makes true shortly (a SIGKILLed process becoming a zombie). */
async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met')
    await new Promise((r) => setImmediate(r))
  }
}

describe('each kind succeeds late, after the attempts that failed', () => {
  test('tcp: the port starts listening only after two refused attempts', async () => {
    const port = await freePort()
    const server = tcpServer()
    const failed: ServiceError[] = []
    const probe: ResolvedProbe = { kind: 'tcp', host: '127.0.0.1', port, ...timing }
    await waitUntilReady(probe, {
      signal: new AbortController().signal,
      onAttempt: (error) => {
        failed.push(error)
        if (failed.length === 2) server.listen(port, '127.0.0.1')
      },
    })
    expect(failed).toHaveLength(2)
    expect(failed[0]!.code).toBe('SVC_ERR_PROBE_FAILED')
    expect(failed[0]!.message).toBe(`tcp 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`)
    expect(failed[0]!.details).toMatchObject({ probe: `tcp 127.0.0.1:${port}`, kind: 'tcp', timedOut: false })
  })

  test('http: 503 twice, then 200', async () => {
    const { url } = await httpServer((res, n) => res.writeHead(n <= 2 ? 503 : 200).end())
    const failed: ServiceError[] = []
    await waitUntilReady({ kind: 'http', url, ...timing }, { signal: new AbortController().signal, onAttempt: (e) => failed.push(e) })
    expect(failed.map((e) => e.message)).toEqual([`http ${url} failed: HTTP 503`, `http ${url} failed: HTTP 503`])
    expect(failed[0]!.details).toMatchObject({ status: 503 })
  })

  test('exec: exits 1 until a file appears, in its cwd, named by its env', async () => {
    const failed: ServiceError[] = []
    const probe: ResolvedProbe = { kind: 'exec', argv: ['sh', '-c', 'test -e "$READY_FILE"'], ...timing }
    await waitUntilReady(probe, {
      signal: new AbortController().signal,
      cwd: dir,
      env: { READY_FILE: 'ready' },
      onAttempt: (error) => {
        failed.push(error)
        if (failed.length === 2) writeFileSync(join(dir, 'ready'), '')
      },
    })
    expect(failed).toHaveLength(2)
    expect(failed[0]!.message).toBe('exec sh -c "test -e \\"$READY_FILE\\"" failed: exit code 1')
    expect(failed[0]!.details).toMatchObject({ exitCode: 1, timedOut: false })
  })

  test('log: a matching line, among others', async () => {
    const source = lineSource()
    const ready = waitUntilReady({ kind: 'log', pattern: 'Ready to accept', ...timing }, { signal: new AbortController().signal, lines: source.lines })
    source.emit('starting')
    source.emit('* Ready to accept connections tcp')
    await ready
    expect(source.listeners()).toBe(0)
  })
})

describe('an attempt that takes too long fails, and the next one is made', () => {
  test('http: a request left unanswered times out after timeoutMs', async () => {
    const { url } = await httpServer((res, n) => (n === 1 ? undefined : res.writeHead(204).end()))
    const failed: ServiceError[] = []
    await waitUntilReady({ kind: 'http', url, ...timing, timeoutMs: 100 }, { signal: new AbortController().signal, onAttempt: (e) => failed.push(e) })
    // Later attempts are answered at once; on a loaded machine one may still miss 100 ms, and time out the same way.
    expect(failed.length).toBeGreaterThanOrEqual(1)
    for (const e of failed) expect(e.message).toBe(`http ${url} failed: no answer within 100 ms`)
    expect(failed[0]!.details).toMatchObject({ timedOut: true })
  })

  test('exec: a program that outlives timeoutMs is killed, with the processes it started', async () => {
    const probe: PolledProbe = { kind: 'exec', argv: ['sh', '-c', 'sleep 30 & echo $! > grandchild; wait'], ...timing, timeoutMs: 1_000 }
    const error = await checkOnce(probe, { signal: new AbortController().signal, cwd: dir }).catch((e: ServiceError) => e)
    expect(error).toMatchObject({ code: 'SVC_ERR_PROBE_FAILED', details: { timedOut: true } })
    expect((error as Error).message).toContain('did not exit within 1000 ms, so it was killed')
    const grandchild = Number(readFileSync(join(dir, 'grandchild'), 'utf8'))
    await until(() => !isAlive(grandchild))
  })

  test('exec: a program that does not exist fails with what the system said', async () => {
    const error = await checkOnce({ kind: 'exec', argv: ['svc-no-such-program'], ...timing }, { signal: new AbortController().signal })
      .catch((e: ServiceError) => e)
    expect(error).toMatchObject({ code: 'SVC_ERR_PROBE_FAILED' })
    expect((error as Error).message).toMatch(/^exec svc-no-such-program failed: .*ENOENT/)
  })
})

describe('an abandoned wait rejects with the reason and leaves nothing behind', () => {
  test('during the start grace', async () => {
    const before = timers()
    const stop = new AbortController()
    const waiting = waitUntilReady({ kind: 'tcp', host: '127.0.0.1', port: await freePort(), ...timing, startGraceMs: 60_000 }, { signal: stop.signal })
    const reason = new Error('start abandoned')
    stop.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    await noTimersLeft(before)
  })

  test('between attempts: the loop stops, no further attempt', async () => {
    const before = timers()
    const stop = new AbortController()
    const reason = new Error('the process exited')
    let attempts = 0
    const waiting = waitUntilReady({ kind: 'tcp', host: '127.0.0.1', port: await freePort(), ...timing, intervalMs: 60_000 }, {
      signal: stop.signal,
      onAttempt: () => {
        attempts++
        stop.abort(reason)
      },
    })
    await expect(waiting).rejects.toBe(reason)
    expect(attempts).toBe(1)
    await noTimersLeft(before)
  })

  test('during an http attempt the server never answers', async () => {
    const before = timers()
    const stop = new AbortController()
    const reason = new Error('start timed out')
    const { server, url } = await httpServer(() => stop.abort(reason))
    const waiting = waitUntilReady({ kind: 'http', url, ...timing, timeoutMs: 60_000 }, { signal: stop.signal })
    await expect(waiting).rejects.toBe(reason)
    await noTimersLeft(before)
    server.closeAllConnections()
  })

  test('during an exec attempt: the program is gone when the wait rejects', async () => {
    const stop = new AbortController()
    const reason = new Error('start abandoned')
    const probe: ResolvedProbe = { kind: 'exec', argv: ['sh', '-c', 'echo $$ > pid; exec sleep 30'], ...timing, timeoutMs: 60_000 }
    const waiting = waitUntilReady(probe, { signal: stop.signal, cwd: dir })
    const pid = Number(await written(join(dir, 'pid')))
    expect(isAlive(pid)).toBe(true)
    stop.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(isAlive(pid)).toBe(false)
  })

  test('a log probe unsubscribes from the lines', async () => {
    const before = timers()
    const source = lineSource()
    const stop = new AbortController()
    const waiting = waitUntilReady({ kind: 'log', pattern: 'Ready', ...timing, startGraceMs: 60_000 }, { signal: stop.signal, lines: source.lines })
    expect(source.listeners()).toBe(1)
    const reason = new Error('exited')
    stop.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(source.listeners()).toBe(0)
    await noTimersLeft(before)
  })

  test('an already aborted signal: no attempt at all', async () => {
    const reason = new Error('gone')
    let attempts = 0
    await expect(
      waitUntilReady({ kind: 'exec', argv: ['true'], ...timing }, { signal: AbortSignal.abort(reason), onAttempt: () => attempts++ }),
    ).rejects.toBe(reason)
    expect(attempts).toBe(0)
  })
})

describe('a log probe sees every line since it subscribed', () => {
  test('a line written before the start grace ends counts, when the grace ends', async () => {
    const source = lineSource()
    const t0 = performance.now()
    const ready = waitUntilReady({ kind: 'log', pattern: '^ready$', ...timing, startGraceMs: 100 }, { signal: new AbortController().signal, lines: source.lines })
    let resolved = false
    void ready.then(() => (resolved = true))
    source.emit('ready')
    expect(source.listeners()).toBe(0)
    await new Promise((r) => setImmediate(r))
    expect(resolved).toBe(false)
    await ready
    // Not less than the grace (libuv's loop clock may run a millisecond or two behind performance.now()).
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95)
  })

  test('a line the source replays while subscribing counts', async () => {
    const replaying = (listener: (line: string) => void) => {
      listener('Ready to accept connections')
      return () => {}
    }
    await waitUntilReady({ kind: 'log', pattern: 'Ready', ...timing }, { signal: new AbortController().signal, lines: replaying })
  })

  test('without lines a log probe is a programming error, said at once', async () => {
    await expect(waitUntilReady({ kind: 'log', pattern: 'x', ...timing }, { signal: new AbortController().signal })).rejects.toThrow(TypeError)
  })
})
