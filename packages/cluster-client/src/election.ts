// Port competition: listen on 127.0.0.1:port and lead, or connect to whoever listens, check that it is a
// cluster-client leader (handshake), register our channel and follow. Rounds that hit a leader in the middle
// of dying are retried with capped exponential backoff and full jitter, within `electionTimeout`.

import net from 'node:net'
import { ClusterClientError, ErrorCodes, leaderLostError } from './errors.js'
import type { ResolvedOptions } from './options.js'
import { trace } from './options.js'
import { claimPort, LOOPBACK, type ChannelLeader, type PortServer } from './port-server.js'
import { Connection } from './protocol/connection.js'
import { HANDSHAKE_MAGIC, PROTOCOL_VERSION } from './protocol/packet.js'

export interface ElectionContext {
  options: ResolvedOptions
  signal: AbortSignal
  createLeader: (server: PortServer) => ChannelLeader
}

export type Elected =
  | { role: 'leader'; server: PortServer; leader: ChannelLeader }
  | { role: 'follower'; conn: Connection; leaderPid: number }

/** A round failed in a way the next round may not (leader dying, not registered yet, busy). */
class RetryableRound extends Error {
  /** Set when the round's failure also fits a foreign program: reported if no later round does better. */
  constructor(message: string, readonly suspect?: ClusterClientError) {
    super(message)
  }
}

export async function elect(ctx: ElectionContext): Promise<Elected> {
  const { options: o, signal } = ctx
  const started = Date.now()
  let lastReason = 'no round ran'
  let suspect: ClusterClientError | undefined
  for (let round = 0; ; round++) {
    signal.throwIfAborted()
    const claim = await claimPort(o.port, o.name, { maxFrameSize: o.maxFrameSize, logger: o.logger }, ctx.createLeader)
    if (claim.won) {
      trace('"%s" pid %d: leader on port %d after %d round(s)', o.name, process.pid, o.port, round + 1)
      return { role: 'leader', server: claim.server, leader: claim.leader }
    }
    signal.throwIfAborted()
    try {
      const joined = await joinLeader(o)
      if (signal.aborted) {
        joined.conn.destroy()
        signal.throwIfAborted()
      }
      trace('"%s" pid %d: follower of pid %d after %d round(s)', o.name, process.pid, joined.leaderPid, round + 1)
      return { role: 'follower', ...joined }
    } catch (err) {
      if (!(err instanceof RetryableRound)) throw err
      lastReason = err.message
      suspect = err.suspect
      trace('"%s" pid %d: election round %d: %s', o.name, process.pid, round + 1, err.message)
    }
    const remaining = o.electionTimeout - (Date.now() - started)
    if (remaining <= 0) {
      if (suspect) throw suspect
      throw new ClusterClientError(
        ErrorCodes.ELECTION_TIMEOUT,
        `Cluster client "${o.name}" could neither listen on ${LOOPBACK}:${o.port} nor join a leader there within ` +
          `${o.electionTimeout} ms (last: ${lastReason}). Is another program holding the port?`,
        { name: o.name, port: o.port, timeoutMs: o.electionTimeout },
      )
    }
    await sleep(Math.min(backoffDelay(round, o.backoffInitial, o.backoffMax), remaining), signal)
  }
}

/** Full jitter: uniform in [0, min(cap, initial * 2^round)], so competing followers spread out. */
export function backoffDelay(round: number, initial: number, cap: number): number {
  return Math.random() * Math.min(cap, initial * 2 ** Math.min(round, 30))
}

async function joinLeader(o: ResolvedOptions): Promise<{ conn: Connection; leaderPid: number }> {
  const socket = await connect(o.port, o.handshakeTimeout)
  const conn = new Connection(socket, { maxFrameSize: o.maxFrameSize, lostError: (label) => leaderLostError(o.name, label) })
  let frameError: ClusterClientError | undefined
  const onFrameError = (err: ClusterClientError) => {
    frameError = err
    conn.destroy() // nothing to flush to a program we do not trust
  }
  conn.on('frameError', onFrameError)
  try {
    const foreign = (why: string) =>
      new ClusterClientError(
        ErrorCodes.FOREIGN_SERVER,
        `The program listening on ${LOOPBACK}:${o.port} is not a cluster-client leader (${why}); cluster client ` +
          `"${o.name}" will not trust it. Stop that program or choose another \`port\`.`,
        { name: o.name, port: o.port },
      )
    let leaderPid: number
    try {
      const res = await conn.request(
        { type: 'handshake', magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: process.pid },
        undefined,
        o.handshakeTimeout,
        // Silence may be a foreign program or a leader too busy to answer: retried, reported if it lasts.
        () => new RetryableRound(`no handshake answer within ${o.handshakeTimeout} ms`, foreign(`it stays silent to the handshake`)),
      )
      if (res.conn.type !== 'handshake_res' || res.conn.magic !== HANDSHAKE_MAGIC) throw foreign('wrong handshake answer')
      if (res.conn.version !== PROTOCOL_VERSION) {
        throw new ClusterClientError(
          ErrorCodes.PROTOCOL_VERSION,
          `The leader on port ${o.port} speaks protocol ${res.conn.version}, this process ${PROTOCOL_VERSION}.`,
          { name: o.name, port: o.port },
        )
      }
      leaderPid = res.conn.pid
    } catch (err) {
      if (frameError) throw foreign(`${frameError.code}: ${frameError.message}`)
      if (err instanceof RetryableRound) throw err
      if ((err as ClusterClientError).code === ErrorCodes.LEADER_LOST) {
        throw new RetryableRound('port owner closed the connection during the handshake', foreign('it closes connections without answering the handshake'))
      }
      throw err
    }
    let res
    try {
      res = await conn.request({ type: 'register_channel', channel: o.name }, undefined, o.handshakeTimeout, () =>
        new RetryableRound(`leader did not answer register_channel within ${o.handshakeTimeout} ms`),
      )
    } catch (err) {
      if (err instanceof RetryableRound) throw err
      throw new RetryableRound(`connection closed during register_channel (${(err as Error).message})`)
    }
    if (res.conn.type !== 'register_channel_res') throw new RetryableRound(`unexpected "${res.conn.type}" answer to register_channel`)
    if (!res.conn.ok) throw new RetryableRound(res.conn.message ?? 'register_channel refused')
    conn.off('frameError', onFrameError)
    return { conn, leaderPid }
  } catch (err) {
    conn.destroy()
    throw err
  }
}

function connect(port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: LOOPBACK })
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new RetryableRound(`connect to port ${port} timed out`))
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      // With nobody listening, a connect from an ephemeral port equal to `port` meets itself (TCP
      // simultaneous open) and would then hold the port against every listener.
      if (socket.localPort === port && socket.localAddress === socket.remoteAddress) {
        socket.destroy()
        reject(new RetryableRound('connected to itself'))
        return
      }
      resolve(socket)
    })
    socket.once('error', (err) => {
      clearTimeout(timer)
      socket.destroy()
      reject(new RetryableRound(`connect: ${err.message}`))
    })
  })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
