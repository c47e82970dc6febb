// A page following one service's log: the tail first, then new lines in small batches (a service printing
// thousands of lines a second costs the page one message per batch, not one per line).

import { debuglog } from 'node:util'
import type { LogEvent, LogLine } from '../protocol.js'
import type { DashboardSource } from '../source.js'
import type { EventStream } from './event-stream.js'

const trace = debuglog('svc:dashboard')

const BATCH_MS = 100

export async function followLog(source: DashboardSource, service: string, limit: number, stream: EventStream<LogEvent>): Promise<void> {
  let pending: LogLine[] = []
  let timer: NodeJS.Timeout | null = null
  const flush = () => {
    timer = null
    if (pending.length === 0) return
    stream.send({ type: 'lines', service, lines: pending })
    pending = []
  }
  const stop = await source.followLogs(service, limit, {
    tail: (lines) => stream.send({ type: 'tail', service, lines }),
    line: (line) => {
      pending.push(line)
      timer ??= setTimeout(flush, BATCH_MS)
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
