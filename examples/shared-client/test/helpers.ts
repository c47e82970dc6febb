// Waiting on what the manager reports (log lines, state changes), never on a timer that hopes.
import { createServer } from 'node:net'
import { once } from 'node:events'
import type { LogLine, ServicesManager, StateChange } from '@services-cluster/core'

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Resolves once `service` has written `line` (now or earlier in this run).
export function logged(manager: ServicesManager, service: string, line: string, timeoutMs = 10_000): Promise<void> {
  if (manager.logs(service).some((l) => l.line === line)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const onLog = (l: LogLine) => {
      if (l.service !== service || l.line !== line) return
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      const tail = manager.logs(service, 10).map((l) => `  ${l.line}`).join('\n')
      reject(new Error(`"${service}" did not log ${JSON.stringify(line)} within ${timeoutMs} ms. Its last lines:\n${tail}`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      manager.off('log', onLog)
    }
    manager.on('log', onLog)
  })
}

// Resolves on the next change of `service` to `to`; call it before causing the change.
export function nextState(manager: ServicesManager, service: string, to: StateChange['to'], timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const onState = (change: StateChange) => {
      if (change.service !== service || change.to !== to) return
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`"${service}" did not become ${to} within ${timeoutMs} ms.`))
    }, timeoutMs)
    const done = () => {
      clearTimeout(timer)
      manager.off('state', onState)
    }
    manager.on('state', onState)
  })
}
