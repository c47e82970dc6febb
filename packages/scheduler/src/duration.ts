// Durations in task definitions: a number of milliseconds, or a string such as '250ms', '30s', '5m', '1h'.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const
const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/

// Returns the duration in whole milliseconds, or undefined when the value is not a valid, positive duration.
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined
  }
  if (typeof value !== 'string') return undefined
  const match = PATTERN.exec(value.trim())
  if (match === null) return undefined
  const ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
  return ms > 0 ? ms : undefined
}
