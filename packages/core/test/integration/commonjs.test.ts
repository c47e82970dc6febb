import { afterEach, expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FIXTURES } from './harness.js'

// The host API from CommonJS: require('@services-cluster/core') (the cjs/ build), in a plain Node program and in a
// test under jest's default configuration (no ESM, no transform set up: babel-jest, CommonJS).
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, NODE_OPTIONS: '' } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c))
    child.stderr.on('data', (c: Buffer) => (stderr += c))
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

test("require('@services-cluster/core') runs a graph from a CommonJS program", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'svc-cjs-'))
  dirs.push(stateDir)
  const result = await run([join(FIXTURES, 'cjs-consumer.cjs'), stateDir], FIXTURES)
  expect(result).toMatchObject({ code: 0 })
  expect(JSON.parse(result.stdout)).toEqual({ echo: 'hi', state: 'running' })
})

test("a test under jest's default configuration requires the host API and drives a graph", async () => {
  // Inside the repository, so that require() finds the workspace's node_modules, as a user's project finds its own.
  const project = mkdtempSync(join(ROOT, 'packages/core/test/.tmp-jest-cjs-'))
  dirs.push(project)
  writeFileSync(join(project, 'package.json'), '{ "name": "cjs-user", "private": true }\n')
  writeFileSync(
    join(project, 'graph.test.js'),
    `const { ServicesManager } = require('@services-cluster/core')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
test('a crash is recovered before kill() resolves', async () => {
  const manager = new ServicesManager(
    { services: { store: { entry: './echo.ts' }, api: { entry: './echo.ts', dependsOn: ['store'], config: { next: 'store' } } }, stateDir: join(${JSON.stringify(project)}, '.svc') },
    { cwd: ${JSON.stringify(FIXTURES)} },
  )
  await manager.start()
  await manager.kill('store')
  expect(await manager.call('api', 'chain', 'x')).toBe('api>store:x')
  await manager.close()
})
`,
  )
  const result = await run([join(ROOT, 'node_modules/jest/bin/jest.js'), '--ci', '--rootDir', project], project)
  expect({ code: result.code, output: result.stderr.includes('1 passed') }).toEqual({ code: 0, output: true })
}, 60_000)
