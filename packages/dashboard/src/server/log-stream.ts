// A page following one service's log: the tail first, then new lines in small batches (a service printing
// thousands of lines a second costs the page one message per batch, not one per line). A page that reads
// slowly misses lines instead of growing the dashboard's memory, and is told how many once it catches up.

import { debuglog } from 'node:util'
import type { LogEvent, LogLine } from '../protocol.js'
import type { DashboardSource } from '../source.js'
import type { EventStream } from './event-stream.js'

const trace = debuglog('svc:dashboard')

const BATCH_MS = 100
// A batch goes out early once it holds this much text: a flood cannot pile up in the batch either.
const MAX_BATCH_CHARS = 256 * 1024

export async function followLog(source: DashboardSource, service: string, limit: number, stream: EventStream<LogEvent>, logHighWaterBytes: number): Promise<void> {
  let pending: LogLine[] = []
  let pendingChars = 0
  let timer: NodeJS.Timeout | null = null
  let dropped = 0
  const flush = () => {
    if (timer) clearTimeout(timer)
    timer = null
    if (pending.length === 0) return
    stream.send({ type: 'lines', service, lines: pending })
    pending = []
    pendingChars = 0
  }
  const reportDrops = () => {
    const line = `[svc] ${dropped} ${dropped === 1 ? 'line' : 'lines'} dropped: this page read too slowly`
    dropped = 0
    stream.send({ type: 'lines', service, lines: [{ at: Date.now(), service, stream: 'stderr', line }] })
  }
  const stop = await source.followLogs(service, limit, {
    tail: (lines) => stream.send({ type: 'tail', service, lines }),
    line: (line) => {
      if (dropped > 0) {
        dropped++
        return
      }
      if (stream.queuedBytes > logHighWaterBytes && stream.whenDrained(reportDrops)) {
        flush() // what was batched goes first; the count follows it
        dropped = 1
        return
      }
      pending.push(line)
      pendingChars += line.line.length
      if (pendingChars >= MAX_BATCH_CHARS) flush()
      else timer ??= setTimeout(flush, BATCH_MS)
    },
  })
  stream.onClose(() => {
    if (timer) clearTimeout(timer)
    try {
      stop()
    } catch (error) {
      trace('stopping the log follow of "%s" failed: %s', service, (error as Error).message)
    }
  })
}
