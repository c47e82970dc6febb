// The manager's side of its spawner process (container/spawner-main.ts): service processes are forked there, so
// that spawn() never blocks the manager's event loop. While the spawner boots — the first few processes of a
// start-up — and if it cannot run, processes are forked inline, as before.

import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { Socket } from 'node:net'
import { fileURLToPath } from 'node:url'
import { debuglog } from 'node:util'
import { launchInline, oneForkPerTurn, type ExitStatus, type Launched, type LaunchOptions } from './launch.js'
import type { LaunchRequest, SpawnerMessage } from './spawner-main.js'
import { signalGroup } from './terminate.js'

const trace = debuglog('svc:spawner')
// Same relative path from src/container and dist/container: the spawner always runs compiled, bundled into a
// CommonJS file by the build (scripts/bundle-runner.mjs) — the ES module works too, slower to start.
const BUNDLE = fileURLToPath(new URL('../../dist/container/spawner-main.bundle.cjs', import.meta.url))
const MAIN = existsSync(BUNDLE) ? BUNDLE : fileURLToPath(new URL('../../dist/container/spawner-main.js', import.meta.url))
/** A spawner that keeps dying is not worth restarting: after this many, every process is forked inline. */
const MAX_DEATHS = 3
/** How long to wait for a process's pipes to close once the spawner that forked it is gone. */
const ORPHAN_GRACE_MS = 2000

interface Pending {
  resolve: (launched: Launched | Promise<Launched>) => void
  reject: (error: Error) => void
  /** Known from the first pipe on. */
  pid: number | null
  pipes: Partial<Record<'stdout' | 'stderr' | 'channel', Socket>>
  exit: Promise<ExitStatus>
  exited: (status: ExitStatus) => void
  /** Set once all three pipes have arrived. */
  launched: Launched | null
  /** The same launch forked here, should the spawner die before it answers. */
  inline: () => Promise<Launched>
}

export class Spawner {
  #process: ChildProcess | null = null
  /** Forked or about to be; #ready once it said so. */
  #booting = false
  #ready = false
  /** Settles the current boot: true once the spawner is ready, false if it never will be. */
  #booted: Promise<boolean> = Promise.resolve(false)
  #settleBoot: (ready: boolean) => void = () => {}
  /** Forks made in this process: the spawner's own, and launches while it is not ready. */
  readonly #inTurn = oneForkPerTurn()
  #deaths = 0
  #closed = false
  #nextId = 0
  /** Launches under way and processes alive, by request id. */
  readonly #requests = new Map<number, Pending>()

  constructor(private readonly onSpawned: (pid: number) => void = () => {}, private readonly onGone: (pid: number) => void = () => {}) {}

  /** The spawner's pid, once it runs. */
  get pid(): number | null {
    return this.#process?.pid ?? null
  }

  /** Creates a process: through the spawner once it runs; until then here, booting the spawner meanwhile. */
  launch(file: string, args: string[], options: LaunchOptions): Promise<Launched> {
    // A service with `listen` is forked here: its socket would reach the spawner over the IPC channel only as a
    // net handle, and making one here would have this event loop poll the socket (a net.Server accepts itself).
    if (options.listenFd !== undefined) return this.#inTurn(() => launchInline(file, args, options))
    if (!this.#ready) {
      this.#boot()
      return this.#inTurn(() => launchInline(file, args, options))
    }
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      let exited!: (status: ExitStatus) => void
      const exit = new Promise<ExitStatus>((r) => (exited = r))
      const inline = (): Promise<Launched> => launchInline(file, args, options)
      this.#requests.set(id, { resolve, reject, pid: null, pipes: {}, exit, exited, launched: null, inline })
      this.#ref(true)
      this.#process!.send({ id, file, args, env: options.env, cwd: options.cwd } satisfies LaunchRequest)
    })
  }

  /** Resolves true once launches go through the spawner process (booting it if need be), false if they cannot. */
  whenReady(): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true)
    this.#boot()
    return this.#booted
  }

  /** Ends the spawner; processes it forked that are still alive are killed by it. */
  async close(): Promise<void> {
    this.#closed = true
    const child = this.#process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.ref() // until it has exited
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      if (child.connected) child.disconnect()
      else child.kill('SIGKILL')
    })
  }

  #boot(): void {
    if (this.#booting || this.#closed || this.#deaths >= MAX_DEATHS) return
    this.#booting = true
    this.#booted = new Promise((resolve) => (this.#settleBoot = resolve))
    void this.#inTurn(() => this.#fork())
  }

  #fork(): void {
    // Not the CA bundle: it costs every Node start ≈ 3×, and the spawner makes no TLS connection. Nor NODE_OPTIONS:
    // a --require'd tracer or agent has nothing to do in it (the services get the environment whole). Its own
    // session (detached): a terminal's Ctrl-C reaches the manager, which closes the services, not the spawner.
    const { NODE_EXTRA_CA_CERTS: _bundle, NODE_OPTIONS: _options, ...env } = process.env
    let child: ChildProcess
    try {
      if (this.#closed) throw new Error('closed')
      child = fork(MAIN, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], detached: true, env, execArgv: [] })
    } catch (error) {
      trace('no spawner: %o', error) // processes are forked here meanwhile
      this.#booting = false
      this.#settleBoot(false)
      return
    }
    this.#process = child
    child.on('error', (error) => trace('spawner failed: %o', error))
    child.on('message', (message: SpawnerMessage | 'ready', handle?: Socket) => this.#onMessage(message, handle))
    child.once('exit', (code, signal) => this.#onExit(child, code, signal))
    if (child.pid) this.onSpawned(child.pid)
  }

  #onMessage(message: SpawnerMessage | 'ready', handle: Socket | undefined): void {
    if (message === 'ready') {
      this.#ready = !this.#closed
      this.#settleBoot(this.#ready)
    } else {
      this.#onAnswer(message, handle)
    }
    if (this.#requests.size === 0) this.#ref(false)
  }

  #onAnswer(message: SpawnerMessage, handle: Socket | undefined): void {
    const pending = this.#requests.get(message.id)
    if (!pending) return
    if ('error' in message) {
      this.#requests.delete(message.id)
      pending.reject(new Error(message.error))
    } else if ('exit' in message) {
      this.#requests.delete(message.id)
      pending.exited(message.exit)
    } else if (handle) {
      pending.pid = message.pid
      pending.pipes[message.stream] = handle
      const { stdout, stderr, channel } = pending.pipes
      if (stdout && stderr && channel) {
        pending.launched = { pid: message.pid, stdout, stderr, channel, exit: pending.exit }
        pending.resolve(pending.launched)
      }
    }
  }

  // The spawner died (or was closed). Processes it forked are no longer anyone's children here: kill them, and
  // call them exited once their pipes close (their status is lost with the spawner).
  #onExit(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#process === child) {
      this.#process = null
      this.#booting = false
      this.#ready = false
      this.#settleBoot(false)
    }
    if (child.pid) this.onGone(child.pid)
    if (!this.#closed) {
      this.#deaths++
      trace('spawner exited (%s): %d processes orphaned', signal ?? code, this.#requests.size)
    }
    for (const [id, pending] of this.#requests) {
      this.#requests.delete(id)
      if (pending.pid !== null) signalGroup(pending.pid, 'SIGKILL')
      if (!pending.launched) {
        // Half-delivered: whatever was forked is killed above; the launch is made here instead (unless closing).
        for (const pipe of Object.values(pending.pipes)) pipe.destroy()
        if (this.#closed) pending.reject(new Error('the manager closed while the process was being created'))
        else pending.resolve(this.#inTurn(pending.inline))
        continue
      }
      const gone = () => pending.exited({ code: null, signal: 'SIGKILL' })
      if (pending.launched.channel.destroyed) gone()
      else pending.launched.channel.once('close', gone)
      setTimeout(gone, ORPHAN_GRACE_MS).unref()
    }
  }

  // A spawner with nothing under way (no launch, no process of its own alive) must not keep the manager's process
  // alive by itself; while it has, it must.
  #ref(on: boolean): void {
    const child = this.#process
    if (on) {
      child?.ref()
      child?.channel?.ref()
    } else {
      child?.unref()
      child?.channel?.unref()
    }
  }
}
