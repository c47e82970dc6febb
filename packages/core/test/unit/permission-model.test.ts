// The permission flags follow the Node that runs the services: each version's own names, nothing it would reject.
import { describe, expect, test } from '@jest/globals'
import { permissionModel } from '../../src/container/permission-model.js'
import { planPermissions } from '../../src/container/permissions.js'
import { normalizeService } from '../../src/manifest/normalize.js'
import type { ServiceSpec } from '../../src/manifest/types.js'

// The permission-related part of process.allowedNodeEnvironmentFlags, as each version reports it.
const COMMON = ['--allow-fs-read', '--allow-fs-write', '--allow-child-process', '--allow-worker', '--allow-addons', '--allow-wasi']
const NODE = {
  '20.20': new Set(['--experimental-permission', ...COMMON]),
  '22.23': new Set(['--permission', '--experimental-permission', ...COMMON]),
  '24.22': new Set(['--permission', '--permission-audit', '--allow-inspector', ...COMMON]),
  '26.12': new Set(['--permission', '--permission-audit', '--allow-inspector', '--allow-net', '--allow-ffi', ...COMMON]),
}

const service = (permissions: ServiceSpec['permissions']) =>
  normalizeService('s', { entry: '/project/services/s.js', permissions }, '/project', null, (_, entry) => entry)
const RUNNER = '/project/node_modules/@services-cluster/core/dist/remote/runner.bundle.cjs'
const plan = (version: keyof typeof NODE, permissions: ServiceSpec['permissions']) =>
  planPermissions(service(permissions), RUNNER, permissionModel(NODE[version]))

describe('the permission model of each Node version', () => {
  test('is switched on by the flag that version takes: --permission from 22.13, --experimental-permission before', () => {
    expect(plan('20.20', { childProcess: false }).nodeFlags[0]).toBe('--experimental-permission')
    expect(plan('22.23', { childProcess: false }).nodeFlags[0]).toBe('--permission')
    expect(plan('24.22', { childProcess: false }).nodeFlags[0]).toBe('--permission')
    expect(plan('26.12', { childProcess: false }).nodeFlags[0]).toBe('--permission')
  })

  test('every flag planned for a version is one that version accepts', () => {
    for (const [version, flags] of Object.entries(NODE)) {
      const planned = plan(version as keyof typeof NODE, { fs: { read: ['/data'], write: [] }, childProcess: true, worker: false })
      for (const flag of planned.nodeFlags) expect([version, flags.has(flag.split('=')[0]!)]).toEqual([version, true])
    }
  })

  test('a sandboxed service keeps its network (and its pipe to the manager) where Node has a network permission', () => {
    expect(plan('26.12', { fs: { write: [] } }).nodeFlags).toContain('--allow-net')
    expect(plan('24.22', { fs: { write: [] } }).nodeFlags).not.toContain('--allow-net')
    const report = plan('26.12', { fs: { write: [] }, network: false }).report.join('\n')
    expect(report).toContain("Node's network permission is not used (it would also refuse the pipe to the manager)")
  })

  test('the report names what the model denies besides the rules: addons, WASI, and what newer versions add', () => {
    expect(plan('20.20', { worker: false }).report).toContain("native addons, WASI: denied — enforced by Node's permission model")
    expect(plan('26.12', { worker: false }).report).toContain("native addons, WASI, the inspector, FFI: denied — enforced by Node's permission model")
    expect(plan('26.12', {}).report).toEqual(['fs, childProcess, worker: unrestricted (no fs/childProcess/worker rule set)'])
  })

  test('a Node without a permission model says the rules are not enforced instead of failing to start', () => {
    const none = planPermissions(service({ childProcess: false }), RUNNER, permissionModel(new Set(COMMON)))
    expect(none.nodeFlags).toEqual([])
    expect(none.report.join('\n')).toContain('NOT enforced')
  })

  test('the flags planned on the Node running these tests are all accepted by it', () => {
    const planned = planPermissions(service({ fs: { read: ['/data'], write: [] }, childProcess: true, worker: false }), RUNNER)
    expect(planned.nodeFlags.length).toBeGreaterThan(0)
    for (const flag of planned.nodeFlags) expect([flag, process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!)]).toEqual([flag, true])
  })
})
