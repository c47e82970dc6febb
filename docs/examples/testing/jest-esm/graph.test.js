import { fileURLToPath } from 'node:url'
import { ServicesManager } from '@services-cluster/core'
import manifest from './svc.config.js'

// Real processes take longer than a unit test's default 5 s on a busy machine.
const TIMEOUT = 30_000
let manager

beforeEach(async () => {
  manager = new ServicesManager(manifest, { cwd: fileURLToPath(new URL('.', import.meta.url)) })
  await manager.start()
}, TIMEOUT)

afterEach(() => manager.close(), TIMEOUT)

test('api greets through users and store', async () => {
  expect(await manager.call('api', 'greet', 1)).toBe('Hello, Ada (visit 1)')
  expect(await manager.call('api', 'greet', 1)).toBe('Hello, Ada (visit 2)')
  await expect(manager.call('api', 'greet', 3)).rejects.toThrow('no user 3')
}, TIMEOUT)

test('a killed store takes its dependents down and the graph comes back in order', async () => {
  await manager.call('api', 'greet', 1)
  const before = manager.timeline().length

  // Resolves once the crash has been handled: dependents closed, store restarted, dependents started again.
  await manager.kill('store', 'SIGKILL')

  const moves = manager.timeline().slice(before).map((change) => `${change.service}: ${change.to}`)
  expect(moves).toEqual([
    'store: closed',
    'api: closing', 'api: closed', 'users: closing', 'users: closed',
    'store: starting', 'store: running', 'users: starting', 'users: running', 'api: starting', 'api: running',
  ])
  expect(manager.service('store').restarts).toBe(1)
  // The store lost its memory with its process.
  expect(await manager.call('api', 'greet', 1)).toBe('Hello, Ada (visit 1)')
}, TIMEOUT)
