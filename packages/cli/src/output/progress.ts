// Start-up progress per service. On a terminal: a block redrawn in place (log lines scroll above it).
// Otherwise: one plain line per change, e.g. "svc: greeter running pid=4242 ready=38ms".

import type { StateChange } from '@services-cluster/core'
import { err, stateColor } from './colors.js'
import { duration } from './format.js'

interface Row {
  name: string
  state: string
  pid: number | null
  since: number | null
  readyMs: number | null
  note: string
}

export class StartProgress {
  readonly #rows: Map<string, Row>
  readonly #stream: NodeJS.WriteStream
  readonly #live: boolean
  readonly #width: number
  #drawn = 0
  #active = true

  constructor(names: string[], stream: NodeJS.WriteStream = process.stderr, live = stream.isTTY === true) {
    this.#rows = new Map(names.map((n) => [n, { name: n, state: 'pending', pid: null, since: null, readyMs: null, note: '' }]))
    this.#stream = stream
    this.#live = live
    this.#width = Math.max(...names.map((n) => n.length))
    if (this.#live) this.#draw()
  }

  /** A state change of one service; `pid` is its process once known. */
  update(change: StateChange, pid: number | null): void {
    const row = this.#rows.get(change.service)
    if (!row || !this.#active) return
    if (change.to === 'starting') {
      row.since = change.at
      row.readyMs = null
    }
    if ((change.to === 'running' || change.to === 'completed') && row.since !== null) row.readyMs = change.at - row.since
    row.state = change.to === 'closed' && change.from === 'starting' ? 'failed' : change.to
    row.pid = pid ?? row.pid
    row.note = change.to === 'closed' ? change.reason : ''
    if (this.#live) this.#redraw()
    else this.#stream.write(plainLine(row) + '\n')
  }

  /** Prints something above the block (a log line on stdout) without tearing it. */
  above(write: () => void): void {
    if (!this.#live || !this.#active) return write()
    this.#erase()
    write()
    this.#draw()
  }

  /** Leaves the final block on screen; later output scrolls normally. */
  finish(): void {
    this.#active = false
  }

  #redraw(): void {
    this.#erase()
    this.#draw()
  }

  #erase(): void {
    if (this.#drawn > 0) this.#stream.write(`\x1b[${this.#drawn}A\x1b[J`)
    this.#drawn = 0
  }

  #draw(): void {
    const lines = [...this.#rows.values()].map((row) => this.#liveLine(row))
    this.#stream.write(lines.join('\n') + '\n')
    this.#drawn = lines.length
  }

  #liveLine(row: Row): string {
    const mark = row.state === 'running' || row.state === 'completed' ? err.green('✔') : row.state === 'failed' || row.state === 'closed' ? err.red('✖') : err.yellow('…')
    const parts = [mark, row.name.padEnd(this.#width), stateColor(err, row.state)(row.state.padEnd(8))]
    if (row.pid !== null) parts.push(err.dim(`pid ${row.pid}`))
    if (row.readyMs !== null) parts.push(err.dim(`ready in ${duration(row.readyMs)}`))
    if (row.note) parts.push(err.dim(row.note))
    return parts.join(' ')
  }
}

export function plainLine(row: Pick<Row, 'name' | 'state' | 'pid' | 'readyMs' | 'note'>): string {
  const parts = [`svc: ${row.name} ${row.state}`]
  if (row.pid !== null) parts.push(`pid=${row.pid}`)
  if (row.readyMs !== null && row.state === 'running') parts.push(`ready=${row.readyMs}ms`)
  if (row.note) parts.push(`(${row.note})`)
  return parts.join(' ')
}
