// A tcp probe's attempt: the port accepts a connection, which is closed at once.

import { connect } from 'node:net'
import type { PolledProbe } from './types.js'

export function connectOnce(probe: Extract<PolledProbe, { kind: 'tcp' }>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: probe.host, port: probe.port })
    const done = (error?: unknown) => {
      signal.removeEventListener('abort', onAbort)
      socket.destroy()
      if (error === undefined) resolve()
      else reject(error)
    }
    const onAbort = () => done(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    socket.once('connect', () => done())
    socket.once('error', done)
  })
}
