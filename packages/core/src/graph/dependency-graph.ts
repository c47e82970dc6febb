// The service graph: validation (names, unknown and self dependencies, cycles) and the orders derived from it.

import toposort from 'toposort'
import { svcError } from '../errors.js'

const NAME = /^[a-z0-9][a-z0-9\-_.]*$/
export const MAX_NAME_LENGTH = 64

export function validateName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
    throw svcError(
      'SVC_ERR_BAD_NAME',
      `Service name "${name}" is invalid. Use 1-${MAX_NAME_LENGTH} characters: lower-case letters, digits, "-", "_" or ".", starting with a letter or digit.`,
      { service: String(name) },
    )
  }
}

export class DependencyGraph {
  readonly #deps = new Map<string, string[]>()

  /** Builds and validates; throws the first problem found, naming the service. */
  constructor(dependsOn: Iterable<[name: string, deps: readonly string[]]>) {
    for (const [name, deps] of dependsOn) {
      validateName(name)
      if (this.#deps.has(name)) {
        throw svcError('SVC_ERR_DUPLICATE_SERVICE', `Service "${name}" is declared twice. Service names must be unique.`, {
          service: name,
        })
      }
      this.#deps.set(name, [...new Set(deps)])
    }
    for (const [name, deps] of this.#deps) {
      for (const dep of deps) {
        if (dep === name) {
          throw svcError('SVC_ERR_SELF_DEPENDENCY', `Service "${name}" depends on itself. Remove "${name}" from its dependsOn.`, {
            service: name,
          })
        }
        if (!this.#deps.has(dep)) {
          throw svcError(
            'SVC_ERR_UNKNOWN_DEPENDENCY',
            `Service "${name}" depends on "${dep}", which is not declared. Declare "${dep}" or remove it from dependsOn.`,
            { service: name, details: { dependency: dep } },
          )
        }
      }
    }
    const cycle = this.#findCycle()
    if (cycle) {
      throw svcError(
        'SVC_ERR_DEPENDENCY_CYCLE',
        `Services depend on each other in a cycle: ${cycle.join(' → ')}. Break the cycle by removing one of these dependencies.`,
        { service: cycle[0], details: { cycle } },
      )
    }
  }

  get names(): string[] {
    return [...this.#deps.keys()]
  }

  has(name: string): boolean {
    return this.#deps.has(name)
  }

  dependenciesOf(name: string): string[] {
    return this.#deps.get(name) ?? []
  }

  dependentsOf(name: string): string[] {
    return this.names.filter((n) => this.dependenciesOf(n).includes(name))
  }

  /** Dependencies first. */
  startOrder(names: Iterable<string> = this.names): string[] {
    const wanted = new Set(names)
    const edges: [string, string][] = []
    for (const n of wanted) for (const d of this.dependenciesOf(n)) if (wanted.has(d)) edges.push([d, n])
    return toposort.array([...wanted], edges)
  }

  /** The names plus everything they depend on, transitively. */
  withDependencies(names: Iterable<string>): Set<string> {
    return this.#closure(names, (n) => this.dependenciesOf(n))
  }

  /** Everything that depends on the names, transitively (the names themselves excluded). */
  transitiveDependents(names: Iterable<string>): Set<string> {
    const start = new Set(names)
    const all = this.#closure(start, (n) => this.dependentsOf(n))
    for (const n of start) all.delete(n)
    return all
  }

  /** Adds a node at run time (child services); the caller guarantees it cannot create a cycle. */
  add(name: string, deps: string[]): void {
    validateName(name)
    if (this.#deps.has(name)) {
      throw svcError('SVC_ERR_DUPLICATE_SERVICE', `Service "${name}" already exists. Pick another name for the child service.`, {
        service: name,
      })
    }
    this.#deps.set(name, deps)
  }

  remove(name: string): void {
    this.#deps.delete(name)
  }

  /** New dependencies for a node, keeping its place in `names` (svc apply); the caller validated the new graph. */
  redefine(name: string, deps: string[]): void {
    if (!this.#deps.has(name)) throw svcError('SVC_ERR_UNKNOWN_SERVICE', `There is no service "${name}" to redefine.`, { service: name })
    this.#deps.set(name, [...new Set(deps)])
  }

  #closure(names: Iterable<string>, next: (n: string) => string[]): Set<string> {
    const seen = new Set<string>()
    const stack = [...names]
    while (stack.length) {
      const n = stack.pop()!
      if (seen.has(n)) continue
      seen.add(n)
      stack.push(...next(n))
    }
    return seen
  }

  // Depth-first search that returns the whole cycle path (a → b → c → a), not just "there is a cycle".
  #findCycle(): string[] | undefined {
    const done = new Set<string>()
    const path: string[] = []
    const onPath = new Set<string>()
    const visit = (n: string): string[] | undefined => {
      if (onPath.has(n)) return [...path.slice(path.indexOf(n)), n]
      if (done.has(n)) return undefined
      onPath.add(n)
      path.push(n)
      for (const d of this.dependenciesOf(n)) {
        const cycle = visit(d)
        if (cycle) return cycle
      }
      path.pop()
      onPath.delete(n)
      done.add(n)
      return undefined
    }
    for (const n of this.#deps.keys()) {
      const cycle = visit(n)
      if (cycle) return cycle
    }
    return undefined
  }
}
