// The dashboard of a manager running elsewhere (`svc ui`): its facts and actions over the control socket.

import type { LogLine } from '@services-cluster/core'
import type { DashboardSource, LogSink, SourceEvent } from '@services-cluster/dashboard'
import { ControlClient, RemoteError } from '../control/client.js'
import type { ServiceUpdate, UsagePoint } from '../control/protocol.js'

/** `client` must stay open while the source is in use; its `close` event means the manager went away. */
export function controlSource(client: ControlClient): DashboardSource {
  const socketPath = client.info.socketPath
  return {
    info: () => ({ project: client.info.cwd, pid: client.info.pid }),
    services: async () => (await client.request('ps', {})).map((snapshot) => ({ snapshot, reason: null })),
    usageHistory: () => client.request('usage', {}),
    subscribe(listener: (event: SourceEvent) => void) {
      const onService = (update: ServiceUpdate) => listener({ type: 'service', update })
      const onUsage = ({ service, ...sample }: UsagePoint) => listener({ type: 'usage', service, sample })
      const onClosing = ({ reason }: { reason: string }) => listener({ type: 'closing', reason })
      const onClose = () => listener({ type: 'closing', reason: 'the manager stopped' })
      client.on('service', onService)
      client.on('usage', onUsage)
      client.on('closing', onClosing)
      client.on('close', onClose)
      // The subscription is asked for here; a failure shows as a closed connection, which the listener hears.
      client.request('subscribe', { topics: ['service', 'usage'] }).catch(() => client.close())
      return () => {
        client.off('service', onService)
        client.off('usage', onUsage)
        client.off('closing', onClosing)
        client.off('close', onClose)
      }
    },
    logs: async (service, limit) => (await remote(client.request('logs', { services: [service], limit }))).lines,
    followLogs: (service, limit, sink) => followOverOwnConnection(socketPath, service, limit, sink),
    start: async (service) => void (await remote(client.request('start', { service }))),
    stop: async (service) => void (await remote(client.request('stop', { service }))),
    restart: async (service) => void (await remote(client.request('restart', { service }))),
  }
}

// `logs` with follow takes the tail and subscribes in one step, per connection: so each follower gets its
// own connection, and lines that arrive while the answer is on its way are held until the tail is out.
async function followOverOwnConnection(socketPath: string, service: string, limit: number, sink: LogSink): Promise<() => void> {
  const connection = await ControlClient.connect(socketPath)
  let early: LogLine[] | null = []
  connection.on('log', (line) => {
    if (early) early.push(line)
    else sink.line(line)
  })
  try {
    const { lines } = await remote(connection.request('logs', { services: [service], limit, follow: true }))
    sink.tail(lines)
  } catch (error) {
    connection.close()
    throw error
  }
  const held = early
  early = null
  for (const line of held) sink.line(line)
  return () => connection.close()
}

// The manager's own error code (SVC_ERR_UNKNOWN_SERVICE, SVC_ERR_START_FAILED …) is what the page shows.
async function remote<T>(request: Promise<T>): Promise<T> {
  try {
    return await request
  } catch (error) {
    if (error instanceof RemoteError && error.remote?.code) {
      throw Object.assign(new Error(error.remote.message), { code: error.remote.code, service: error.remote.service })
    }
    throw error
  }
}
