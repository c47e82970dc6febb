// The newest lines of a service's log file (manifest `logs.file`), for `svc logs -n N` beyond the in-memory buffer.
// The manager writes each line as `<ISO time> <stream> <text>`; only the file's last bytes are read.

import type { LogLine, ServicesManager } from '@services-cluster/core'
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'

const MAX_TAIL_BYTES = 4 * 1024 * 1024

export function fileTail(manager: ServicesManager, service: string, limit: number): LogLine[] | null {
  const spec = manager.manifest.services.find((s) => s.name === service)
  const file = spec?.logs.file
  if (!file) return null
  const path = isAbsolute(file) ? file : resolve(manager.manifest.cwd, file)
  if (!existsSync(path)) return null
  const fd = openSync(path, 'r')
  try {
    const size = fstatSync(fd).size
    const length = Math.min(size, MAX_TAIL_BYTES)
    const buffer = Buffer.alloc(length)
    readSync(fd, buffer, 0, length, size - length)
    const lines = buffer.toString('utf8').split('\n').filter(Boolean)
    if (length < size) lines.shift() // the first line read is probably cut
    return lines.slice(-limit).map((raw) => parse(service, raw))
  } finally {
    closeSync(fd)
  }
}

function parse(service: string, raw: string): LogLine {
  const [time, stream, ...rest] = raw.split(' ')
  const at = Date.parse(time ?? '')
  return {
    at: Number.isNaN(at) ? 0 : at,
    service,
    stream: stream === 'stderr' ? 'stderr' : 'stdout',
    line: Number.isNaN(at) ? raw : rest.join(' '),
  }
}
