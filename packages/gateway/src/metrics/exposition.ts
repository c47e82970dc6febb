// Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, then samples with escaped labels.

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

export type MetricType = 'counter' | 'gauge' | 'histogram'
export type Labels = Record<string, string>

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')

const formatValue = (v: number): string =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v)

const formatLabels = (labels: Labels | undefined): string => {
  if (!labels) return ''
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
  return parts.length ? `{${parts.join(',')}}` : ''
}

export class Exposition {
  readonly #lines: string[] = []
  readonly #declared = new Set<string>()

  /** Declares a metric family once; samples of it follow. */
  family(name: string, type: MetricType, help: string): this {
    if (!this.#declared.has(name)) {
      this.#declared.add(name)
      this.#lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`)
    }
    return this
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.#lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`)
    return this
  }

  // Histogram samples from non-cumulative bucket counts (last slot is +Inf).
  histogram(name: string, bounds: number[], counts: number[], sum: number, labels: Labels): this {
    let cumulative = 0
    bounds.forEach((le, i) => {
      cumulative += counts[i] ?? 0
      this.sample(`${name}_bucket`, cumulative, { ...labels, le: String(le) })
    })
    cumulative += counts[bounds.length] ?? 0
    this.sample(`${name}_bucket`, cumulative, { ...labels, le: '+Inf' })
    this.sample(`${name}_sum`, sum, labels)
    this.sample(`${name}_count`, cumulative, labels)
    return this
  }

  toString(): string {
    return this.#lines.join('\n') + '\n'
  }
}
