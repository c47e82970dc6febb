// The in-memory twin of ProcessContainer: the remote runs in this process over a memory port pair.
// Graph, ordering and routing tests use it and spawn nothing.

import { ServiceController } from '../controller/service-controller.js'
import type { ResolvedService } from '../manifest/normalize.js'
import { createMemoryPortPair } from '../port/memory-port.js'
import type { HostMessage, RemoteMessage } from '../protocol/messages.js'
import { RemoteService } from '../remote/remote-service.js'
import { ServiceContainer, type ContainerFactory, type ExitReport } from './service-container.js'

interface Run {
  controller: ServiceController
  exited: Promise<ExitReport>
  finish(report: Omit<ExitReport, 'expected'>): void
  expected: boolean
}

// Above any real pid_max, so a fault-injection signal can never reach a real process.
let nextPid = 5_000_000

export class MemoryContainer extends ServiceContainer {
  #run: Run | null = null

  constructor(
    service: ResolvedService,
    private readonly load: (entry: string) => Promise<unknown>,
  ) {
    super(service)
  }

  get permissionReport(): string[] {
    return ['nothing enforced: in-memory containers run inside the manager process']
  }

  get controller(): ServiceController | null {
    return this.#run?.controller ?? null
  }

  get pid(): number | null {
    return this.#run?.controller.pid ?? null
  }

  prepare(): Promise<void> {
    this.#run ??= this.#boot()
    return this.#run.controller.remoteReady
  }

  async start(): Promise<void> {
    const run = (this.#run ??= this.#boot())
    try {
      await run.controller.start(this.startMessage(), this.service.startTimeoutMs)
    } catch (error) {
      run.expected = true
      run.finish({ code: 1, signal: null, step: 'exited' })
      await run.exited
      throw error
    }
  }

  async stop(reason: string): Promise<ExitReport> {
    const run = this.#run
    if (!run) return { code: null, signal: null, expected: true, step: 'exited' }
    run.expected = true
    run.controller.requestClose(reason)
    const timer = setTimeout(() => run.finish({ code: null, signal: 'SIGKILL', step: 'sigkill' }), this.service.stopTimeoutMs)
    const report = await run.exited
    clearTimeout(timer)
    return report
  }

  kill(signal: NodeJS.Signals): void {
    this.#run?.finish({ code: null, signal, step: 'exited' })
  }

  #boot(): Run {
    const [hostPort, remotePort] = createMemoryPortPair<RemoteMessage, HostMessage>()
    const controller = new ServiceController(this.service.name, hostPort)
    let finish!: Run['finish']
    const run: Run = {
      controller,
      expected: false,
      finish: (r) => finish(r),
      exited: new Promise((resolve) => {
        let done = false
        finish = (r) => {
          if (done) return
          done = true
          // Close the remote's end, as a dying process does: what it sent before still arrives first.
          remotePort.close()
          resolve({ ...r, step: run.expected && r.step === 'exited' ? 'closed' : r.step, expected: run.expected })
        }
      }),
    }
    const pid = nextPid++
    const remote = new RemoteService({
      port: remotePort,
      load: this.load,
      pid,
      env: { ...this.service.env },
      log: {
        out: (line) => this.emit('output', 'stdout', line),
        err: (line) => this.emit('output', 'stderr', line),
      },
      exit: (code) => run.finish({ code, signal: null, step: 'exited' }),
    })
    void run.exited.then((report) => {
      if (this.#run === run) this.#run = null
      this.emit('exit', report)
    })
    this.emit('controller', controller)
    remote.ready()
    return run
  }
}

/** Containers whose entries are looked up in a table of service definitions, keyed by entry path. They spawn no
 * process, and say so: a manager using them keeps no run record (nothing is written to the state directory). */
export function memoryContainers(modules: Record<string, unknown>): ContainerFactory {
  const factory = (service: ResolvedService) =>
    new MemoryContainer(service, async (entry) => {
      if (!(entry in modules)) throw new Error(`no module registered for ${entry}`)
      return modules[entry]
    })
  return Object.assign(factory, { spawnsProcesses: false })
}
