// Builds a ServicesManager whose services run in this process (memory containers): no spawning.

import { ServicesManager, type ManagerOptions, type NodeServiceSpec, type ServiceSpec, type StateChange } from '../../src/index.js'
import { memoryContainers } from '../../src/testing/index.js'

export type MemorySpec = Omit<NodeServiceSpec, 'entry'> & { module: unknown }

export function memoryManager(specs: Record<string, MemorySpec>, options: ManagerOptions = {}): ServicesManager {
  const modules: Record<string, unknown> = {}
  const services: Record<string, ServiceSpec> = {}
  for (const [name, { module, ...spec }] of Object.entries(specs)) {
    modules[`mem:${name}`] = module
    services[name] = { ...spec, entry: `mem:${name}` }
  }
  return new ServicesManager(
    { services },
    { containers: memoryContainers(modules), resolveEntry: (_n, entry) => entry, random: () => 0.5, ...options },
  )
}

/** "a:running" strings in the order they happened. */
export function transitions(changes: StateChange[]): string[] {
  return changes.map((c) => `${c.service}:${c.to}`)
}

export function before(list: string[], first: string, second: string): boolean {
  const i = list.indexOf(first)
  const j = list.indexOf(second)
  return i !== -1 && j !== -1 && i < j
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
