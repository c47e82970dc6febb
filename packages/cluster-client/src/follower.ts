// A follower: forwards every operation to the leader over its registered connection. When that connection
// closes it reports the loss once; in-flight invokes have already been rejected by the connection with a
// retryable SVC_ERR_CC_LEADER_LOST.

import { ClusterClientError, ErrorCodes, closedError, invokeTimeoutError, leaderGoneError, leaderLostError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { trace } from './options.js'
import type { Connection } from './protocol/connection.js'
import type { Role, RoleSink } from './types.js'

export class Follower implements Role {
  readonly kind = 'follower' as const
  readonly ready = Promise.resolve()
  private closing = false

  constructor(
    private readonly conn: Connection,
    readonly leaderPid: number,
    private readonly options: ResolvedOptions,
    private readonly sink: RoleSink,
  ) {
    const name = options.name
    conn.setLostError((label) => (this.closing ? closedError(name) : leaderLostError(name, label)))
    conn.on('request', (p) => {
      if (p.conn.type === 'subscribe_result') {
        sink.deliver(p.conn.key, p.app)
        return
      }
      options.logger.error(`closing leader connection: unexpected "${p.conn.type}" request from the leader`)
      conn.destroy()
    })
    conn.on('frameError', (err) => options.logger.error(`closing leader connection: [${err.code}] ${err.message}`))
    conn.on('close', () => {
      if (this.closing) return
      trace('"%s" follower pid %d: leader pid %d lost', name, process.pid, leaderPid)
      sink.lost(leaderGoneError(name, leaderPid))
    })
  }

  async invoke(method: string, args: unknown[], timeoutMs: number): Promise<unknown> {
    const name = this.options.name
    const res = await this.conn.request(
      { type: 'invoke', method, oneway: false },
      args,
      timeoutMs,
      () => invokeTimeoutError(name, method, timeoutMs),
      method,
    )
    if (res.conn.type !== 'invoke_result') {
      throw new ClusterClientError(ErrorCodes.BAD_FRAME, `Leader answered invoke "${method}" with "${res.conn.type}".`, { name, method })
    }
    if (res.conn.ok) return res.app
    throw res.app instanceof Error ? res.app : new Error(`invoke "${method}" failed: ${JSON.stringify(res.app)}`)
  }

  invokeOneway(method: string, args: unknown[]): void {
    this.sendOrLog({ type: 'invoke', method, oneway: true }, args)
  }

  subscribe(_key: string, info: unknown): void {
    this.sendOrLog({ type: 'subscribe' }, info)
  }

  unSubscribe(_key: string, info: unknown): void {
    this.sendOrLog({ type: 'unSubscribe' }, info)
  }

  publish(info: unknown): void {
    this.sendOrLog({ type: 'publish' }, info)
  }

  async close(): Promise<void> {
    this.closing = true
    if (this.conn.closed) return
    await new Promise<void>((resolve) => {
      this.conn.once('close', resolve)
      this.conn.destroy()
    })
  }

  private sendOrLog(...args: Parameters<Connection['send']>): void {
    try {
      this.conn.send(...args)
    } catch (err) {
      this.options.logger.error(`"${args[0].type}" not sent to the leader: ${(err as Error).message}`)
    }
  }
}
