// Which `service.method` names the gateway will route. Nothing else is reachable.

import { configError } from './errors.js'

export interface ExposeRule {
  /** As written in config: `checker.getBestNode` or `checker.*`. */
  pattern: string
  minParams?: number
  maxParams?: number
}

export type ExposeEntry = string | ExposeRule

export interface ResolvedMethod {
  service: string
  method: string
  rule: ExposeRule
}

// Service names follow the manifest rule (dots allowed); method names are JS identifiers (no dots),
// so `a.b.getX` splits at the last dot into service `a.b` and method `getX`.
const SERVICE_RE = /^[a-z0-9][a-z0-9\-_.]{0,63}$/
const METHOD_RE = /^[A-Za-z_$][\w$]*$/

export function splitMethod(name: string): { service: string; method: string } | undefined {
  const dot = name.lastIndexOf('.')
  if (dot <= 0) return undefined
  const service = name.slice(0, dot)
  const method = name.slice(dot + 1)
  if (!SERVICE_RE.test(service) || !METHOD_RE.test(method)) return undefined
  return { service, method }
}

const checkCount = (field: string, v: unknown): number | undefined => {
  if (v === undefined) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw configError(field, 'must be a whole number ≥ 0')
  return v
}

export class ExposeTable {
  readonly #exact = new Map<string, ExposeRule>()
  readonly #wildcard = new Map<string, ExposeRule>()

  constructor(entries: unknown) {
    if (!Array.isArray(entries) || entries.length === 0) {
      throw configError('expose', 'must list at least one "service.method" (or "service.*") to make reachable')
    }
    entries.forEach((entry, i) => this.#add(entry, `expose[${i}]`))
  }

  #add(entry: unknown, field: string): void {
    const raw = typeof entry === 'string' ? { pattern: entry } : entry
    if (typeof raw !== 'object' || raw === null || typeof (raw as ExposeRule).pattern !== 'string') {
      throw configError(field, 'must be a string like "checker.getBestNode" or { pattern, minParams?, maxParams? }')
    }
    const rule: ExposeRule = { pattern: (raw as ExposeRule).pattern }
    const min = checkCount(`${field}.minParams`, (raw as ExposeRule).minParams)
    const max = checkCount(`${field}.maxParams`, (raw as ExposeRule).maxParams)
    if (min !== undefined) rule.minParams = min
    if (max !== undefined) rule.maxParams = max
    if (min !== undefined && max !== undefined && min > max) throw configError(field, 'has minParams greater than maxParams')
    if (rule.pattern.startsWith('rpc.')) throw configError(field, 'uses the "rpc." prefix, which JSON-RPC 2.0 reserves')
    if (rule.pattern.endsWith('.*')) {
      const service = rule.pattern.slice(0, -2)
      if (!SERVICE_RE.test(service)) throw configError(field, `names an invalid service "${service}"`)
      this.#wildcard.set(service, rule)
    } else {
      if (!splitMethod(rule.pattern)) throw configError(field, `"${rule.pattern}" is not of the form "service.method"`)
      this.#exact.set(rule.pattern, rule)
    }
  }

  resolve(name: string): ResolvedMethod | undefined {
    const parts = splitMethod(name)
    if (!parts) return undefined
    const exact = this.#exact.get(name)
    if (exact) return { ...parts, rule: exact }
    // A wildcard never reaches private-by-convention or Object.prototype names (`_x`, `constructor`, …).
    const wild = this.#wildcard.get(parts.service)
    if (!wild || parts.method.startsWith('_') || parts.method in Object.prototype) return undefined
    return { ...parts, rule: wild }
  }

  /** The service names the gateway may call, for docs and health output. */
  services(): string[] {
    const names = new Set(this.#wildcard.keys())
    for (const name of this.#exact.keys()) names.add(splitMethod(name)!.service)
    return [...names].sort()
  }
}
