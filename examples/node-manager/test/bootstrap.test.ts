// The bootstrap one-shot as the manifest runs it (node --import jiti/register scripts/bootstrap.ts), a real process:
// what it prints and its exit code, which decide whether the checker starts.
import { afterEach, describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { EXAMPLE_DIR, EXAMPLE_NODES_FILE, nodeManagerManifest } from '../manifest.ts'
import checkerService from '../services/checker.ts'
import type { CheckerConfigInput } from '../src/checker/config.ts'
import { fakeContext } from './helpers/fake-context.ts'
import { freePorts } from './helpers/ports.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'nm-bootstrap-'))
  dirs.push(dir)
  return dir
}

// Exactly the command and environment the manifest gives the one-shot.
function runBootstrap(config: unknown): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [file, ...args] = nodeManagerManifest({ redis: null, stateDir: '/nonexistent' }).services.bootstrap.command
  return new Promise((resolve) => {
    const env = { ...process.env, NM_CHECKER_CONFIG: JSON.stringify(config) }
    execFile(file!, args, { cwd: EXAMPLE_DIR, env, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    })
  })
}

describe('the bootstrap one-shot', () => {
  it('loads the nodes file into an empty store, keeps it the next time, and reloads it when the file changed', async () => {
    const dir = await tempDir()
    const nodesFile = join(dir, 'nodes.json')
    await copyFile(EXAMPLE_NODES_FILE, nodesFile)
    const config: CheckerConfigInput = { nodesFile, store: { kind: 'file', path: join(dir, 'store.jsonl') } }

    expect(await runBootstrap(config)).toEqual({ code: 0, stdout: `loaded 5 nodes from ${nodesFile}\n`, stderr: '' })
    expect(await runBootstrap(config)).toMatchObject({ code: 0, stdout: `kept the nodes already in the file store, loaded from ${nodesFile}\n` })
    await writeFile(nodesFile, JSON.stringify({ nodes: [{ id: 'only', type: 'eth', host: '127.0.0.1', port: 1 }] }))
    expect((await runBootstrap(config)).stdout).toBe(`${nodesFile} changed since the file store was loaded from it: reloaded 1 nodes, replacing 5; kept 0 added at run time\n`)

    // The checker then starts on what the one-shot stored, without loading anything itself.
    const ctx = fakeContext('checker', { ...config, bootstrapOnStart: false, checkOnStart: false })
    try {
      const api = await checkerService.factory(ctx)
      expect((await api.getNodes()).map((n) => n.id)).toEqual(['only'])
      expect(ctx.lines).toEqual([])
    } finally {
      await ctx.close()
    }
  }, 60_000)

  it('exits 1 with the coded reason when the nodes file is missing or Redis does not answer', async () => {
    const dir = await tempDir()
    const missing = await runBootstrap({ nodesFile: join(dir, 'nope.json'), store: { kind: 'file', path: join(dir, 'store.jsonl') } })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^bootstrap failed: SVC_ERR_NM_NODES_FILE: .*nope\.json.*does not exist/)

    const [closedPort] = await freePorts(1)
    const noRedis = await runBootstrap({ store: { kind: 'redis', url: `redis://127.0.0.1:${closedPort}` } })
    expect(noRedis.code).toBe(1)
    expect(noRedis.stderr).toMatch(/^bootstrap failed: SVC_ERR_NM_STORE_UNAVAILABLE: Redis store at redis:\/\/127\.0\.0\.1:\d+ is not reachable/)
  }, 60_000)
})
