// `retry`: the dependencies whose (idempotent) methods this service's calls are retried on, when the instance a call
// went to ended before answering (remote/retry.ts). `{ checker: 2 }`, or `{ checker: { attempts: 2, methods: [...] } }`.

import { Checker, describe, isObject } from './checks.js'
import type { RetryRule } from '../remote/retry.js'

const RULE_FIELDS = ['attempts', 'methods']
const MAX_ATTEMPTS = 10

export function readRetry(c: Checker, value: unknown, calls: readonly string[]): Record<string, RetryRule> {
  if (value === undefined) return {}
  if (!isObject(value)) {
    c.fail('retry', `must be an object of dependencies, such as { checker: 2 } or { checker: { attempts: 2, methods: ['getNodes'] } }, not ${describe(value)}`)
    return {}
  }
  const rules: Record<string, RetryRule> = {}
  for (const [target, spec] of Object.entries(value)) {
    const field = `retry.${target}`
    if (!calls.includes(target)) c.fail(field, `names "${target}", which this service may not call: retry applies to its dependencies (or permissions.calls)`)
    if (typeof spec === 'number') {
      rules[target] = { attempts: c.count(spec, field, 0, 1, MAX_ATTEMPTS), methods: null }
      continue
    }
    const rule = c.object(spec, field, RULE_FIELDS, `a number of attempts or { attempts, methods }`)
    if (!rule) continue
    if (rule.attempts === undefined) c.fail(`${field}.attempts`, 'is missing: how many more times to try a call that failed')
    const methods = rule.methods === undefined ? null : methodsOf(c, rule.methods, `${field}.methods`)
    rules[target] = { attempts: c.count(rule.attempts, `${field}.attempts`, 0, 1, MAX_ATTEMPTS), methods }
  }
  return rules
}

function methodsOf(c: Checker, value: unknown, field: string): string[] | null {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' && v !== '')) return value as string[]
  c.fail(field, `must be a non-empty array of method names, such as ["getNodes"], not ${describe(value)}`)
  return null
}
