// ctx.log: plain lines on stdout/stderr, which the host captures per service.

import { format } from 'node:util'
import type { ServiceLogger } from './context.js'

export interface LogSink {
  out(line: string): void
  err(line: string): void
}

export const processSink: LogSink = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
}

export function createLogger(sink: LogSink, debugEnabled: boolean): ServiceLogger {
  return {
    debug: (...args) => debugEnabled && sink.out('[debug] ' + format(...args)),
    info: (...args) => sink.out(format(...args)),
    warn: (...args) => sink.err('[warn] ' + format(...args)),
    error: (...args) => sink.err('[error] ' + format(...args)),
  }
}
