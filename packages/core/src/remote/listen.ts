// ctx.listen(server): serve the TCP socket the manager holds for this service (its `listen` field). Every process of
// the service accepts on the same socket, inherited as fd 4 (SVC_LISTEN_FD); the kernel hands each connection to one
// of the processes waiting in accept, and queues connections while none is (a process being replaced).

import type { Server } from 'node:net'
import { svcError } from '../errors.js'

/** Any net.Server: an http(s).Server, a fastify app's `app.server`, an express app's return of http.createServer(app). */
export type ListenableServer = Pick<Server, 'listen' | 'once' | 'off'>

export function listenShared(service: string, server: ListenableServer, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const fd = Number(env.SVC_LISTEN_FD)
  if (env.SVC_LISTEN_FD === undefined || !Number.isInteger(fd) || fd < 0) {
    return Promise.reject(svcError('SVC_ERR_NO_LISTEN', `Service "${service}" called ctx.listen(), but was given no socket: its manifest entry has no listen. Add listen: { port: 8080 } (or listen: 8080) to "${service}", or listen on a port of its own.`, { service }))
  }
  return new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => reject(error)
    server.once('error', failed)
    // Exactly what a service of another framework can do itself: server.listen({ fd }).
    server.listen({ fd }, () => {
      server.off('error', failed)
      resolve()
    })
  })
}
