// The control socket in-process, over a manager whose services run in memory: the JSON-RPC 2.0 surface
// other tools rely on (errors, notifications, one manager per project, socket mode).

import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { ServicesManager } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlClient, RemoteError } from '../src/control/client.js'
import { startControlServer, type ControlServer } from '../src/control/server.js'
import { CliError } from '../src/errors.js'

const greeter = defineService(async (ctx) => {
  ctx.log.info('greeter up')
  return { greet: (name: string) => `Hello, ${name}!` }
})
// Stands in for a scheduler in cluster mode: in a pool, and says so through clusterStatus().
const front = defineService(async () => ({
  ping: () => 'pong',
  clusterStatus: () => ({ enabled: true, pool: 'prod/front', nodeId: 'host-a', state: 'steady', members: ['host-a', 'host-b'] }),
}))

function makeManager(stateDir: string): ServicesManager {
  return new ServicesManager(
    { stateDir, services: { greeter: { entry: 'mem:greeter' }, front: { entry: 'mem:front', dependsOn: ['greeter'] } } },
    { containers: memoryContainers({ 'mem:greeter': greeter, 'mem:front': front }), resolveEntry: (_n, e) => e },
  )
}

/** Sends raw lines and collects the answers, for what a typed client would never send. */
function raw(path: string, lines: string[], answers: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let buffered = ''
    socket.setEncoding('utf8')
    socket.on('error', reject)
    socket.on('data', (chunk: string) => {
      buffered += chunk
      const got = buffered.split('\n').filter(Boolean)
      if (got.length >= answers) {
        socket.destroy()
        resolve(got.map((l) => JSON.parse(l)))
      }
    })
    socket.on('connect', () => socket.write(lines.map((l) => l + '\n').join('')))
  })
}

describe('control server', () => {
  let stateDir: string
  let manager: ServicesManager
  let server: ControlServer
  let downs = 0

  beforeEach(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'svc-ctl-'))
    manager = makeManager(stateDir)
    server = await startControlServer({
      manager,
      configFile: '/virtual/svc.config.ts',
      down: async () => {
        downs++
        await manager.close()
        return ['front', 'greeter']
      },
    })
    await manager.start()
  })

  afterEach(async () => {
    await server.close('test over')
    await manager.close()
    rmSync(stateDir, { recursive: true, force: true })
  })

  it('shakes hands, lists services and calls methods', async () => {
    const client = await ControlClient.connect(server.socketPath)
    expect(client.info).toMatchObject({ protocol: 1, pid: process.pid, configFile: '/virtual/svc.config.ts', services: ['greeter', 'front'] })
    expect((await client.request('ps', {})).map((s) => s.display)).toEqual(['running', 'running'])
    expect(await client.request('call', { service: 'greeter', method: 'greet', args: ['Ada'] })).toBe('Hello, Ada!')
    expect(await client.request('graph', {})).toEqual({
      services: [
        { name: 'greeter', dependsOn: [], conditions: {} },
        { name: 'front', dependsOn: ['greeter'], conditions: { greeter: 'ready' } },
      ],
      startOrder: ['greeter', 'front'],
    })
    client.close()
  })

  it('reports the node pools running services are in (and skips services that are not)', async () => {
    const client = await ControlClient.connect(server.socketPath)
    expect(await client.request('cluster', {})).toEqual([
      { service: 'front', pool: 'prod/front', nodeId: 'host-a', state: 'steady', members: ['host-a', 'host-b'] },
    ])
    client.close()
  })

  it('returns framework errors with their SVC_ERR_ code in error.data', async () => {
    const client = await ControlClient.connect(server.socketPath)
    const error = await client.request('call', { service: 'greeter', method: 'nope' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RemoteError)
    expect((error as RemoteError).rpcCode).toBe(-32000)
    expect((error as RemoteError).displayCode).toBe('SVC_ERR_UNKNOWN_METHOD')
    const unknown = await client.request('restart', { service: 'ghost' }).catch((e: unknown) => e)
    expect((unknown as RemoteError).displayCode).toBe('SVC_ERR_UNKNOWN_SERVICE')
    expect(manager.state('greeter')).toBe('running') // nothing was closed for a bad name
    client.close()
  })

  it('answers malformed input with the JSON-RPC 2.0 error codes', async () => {
    const answers = await raw(
      server.socketPath,
      [
        'not json',
        JSON.stringify({ id: 1, method: 'ps' }),
        JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'launch' }),
        JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'call', params: { service: 7 } }),
        JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'hello', params: { protocol: 99 } }),
      ],
      5,
    )
    const codes = Object.fromEntries(answers.map((a) => [String((a as { id: unknown }).id), (a as { error: { code: number } }).error.code]))
    expect(codes).toEqual({ null: -32700, 1: -32600, 2: -32601, 3: -32602, 4: -32600 })
  })

  it('streams log and state notifications to subscribers', async () => {
    const client = await ControlClient.connect(server.socketPath)
    const { lines } = await client.request('logs', { services: ['greeter'], limit: 10, follow: true })
    expect(lines.map((l) => l.line)).toEqual(['greeter up'])
    await client.request('subscribe', { topics: ['state'] })
    const seen: string[] = []
    client.on('state', (c) => seen.push(`${c.service}:${c.to}`))
    const logged = new Promise<string>((resolve) => client.once('log', (l) => resolve(l.line)))
    await client.request('restart', { service: 'greeter' })
    expect(await logged).toBe('greeter up')
    expect(seen).toEqual(['front:closing', 'front:closed', 'greeter:closing', 'greeter:closed', 'greeter:starting', 'greeter:running', 'front:starting', 'front:running'])
    client.close()
  })

  it('streams a fresh snapshot on every visible change to service subscribers, and answers the usage history', async () => {
    const client = await ControlClient.connect(server.socketPath)
    expect(await client.request('subscribe', { topics: ['service', 'usage'], services: ['greeter'] })).toEqual({ topics: ['service', 'usage'] })
    const updates: string[] = []
    client.on('service', (u) => updates.push(`${u.snapshot.name}:${u.snapshot.display}:${u.reason}`))
    const back = new Promise<void>((resolve) => client.on('service', (u) => u.snapshot.display === 'running' && resolve()))
    manager.kill('greeter', 'SIGKILL')
    await back
    // `restarting` comes without a state change: only the service topic shows it.
    expect(updates).toEqual(['greeter:crashed:crashed (SIGKILL)', 'greeter:restarting:null', 'greeter:starting:restart', 'greeter:running:restart'])
    expect(await client.request('usage', {})).toEqual({ greeter: expect.any(Array), front: expect.any(Array) })
    const bad = await client.request('subscribe', { topics: ['gossip' as never] }).catch((e: unknown) => e)
    expect((bad as RemoteError).message).toBe('params.topics must be an array of "log", "state", "service", "usage".')
    client.close()
  })

  it('down closes the services, then tells clients the manager is going away', async () => {
    const client = await ControlClient.connect(server.socketPath)
    const closing = new Promise<string>((resolve) => client.once('closing', (c) => resolve(c.reason)))
    expect(await client.request('down', {})).toEqual({ closed: ['front', 'greeter'] })
    expect(downs).toBe(1)
    const gone = new Promise<void>((resolve) => client.once('close', resolve))
    await server.close('manager closed')
    expect(await closing).toBe('manager closed')
    await gone
  })

  it('is owner-only and refuses a second manager for the same state directory', async () => {
    expect(statSync(server.socketPath).mode & 0o777).toBe(0o600)
    const other = makeManager(stateDir)
    const error = await startControlServer({ manager: other, configFile: 'x', down: async () => [] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CliError)
    expect((error as CliError).code).toBe('SVC_ERR_CLI_ALREADY_RUNNING')
  })
})
