import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { openFileStore } from '../src/checker/file-store.ts'
import type { NodeRecord } from '../src/checker/node-config.ts'
import type { NodeHealth } from '../src/checker/store.ts'

const record = (id: string, port: number, hash = `hash-${id}-${port}`): NodeRecord => ({
  id,
  hash,
  type: 'btc',
  config: { host: '127.0.0.1', port, protocol: 'http', timeoutMs: 1000 },
})
const health = (block: number): NodeHealth => ({
  status: 'online',
  block,
  latencyMs: 1,
  error: null,
  errorCode: null,
  checkedAt: '2024-01-01T00:00:00.000Z',
})

let dir: string
let path: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nm-store-'))
  path = join(dir, 'sub', 'store.jsonl')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('file store', () => {
  it('survives a restart: nodes, removals and health are replayed', async () => {
    const store = await openFileStore({ path })
    await store.put(record('a', 1))
    await store.put(record('b', 2))
    await store.setHealth([{ id: 'a', hash: 'hash-a-1', health: health(7) }])
    expect(await store.remove('b')).toBe(true)
    expect(await store.remove('b')).toBe(false)
    await store.close()

    const reopened = await openFileStore({ path })
    expect(await reopened.list()).toEqual([{ ...record('a', 1), health: health(7) }])
    await reopened.close()
  })

  it('drops health for a node whose config changed while the check ran', async () => {
    const store = await openFileStore({ path })
    await store.put(record('a', 1))
    await store.put(record('a', 2, 'new-hash'))
    await store.setHealth([
      { id: 'a', hash: 'hash-a-1', health: health(7) },
      { id: 'gone', hash: 'x', health: health(7) },
    ])
    expect((await store.list())[0]!.health).toBeUndefined()
    await store.close()
  })

  it('ignores and truncates a torn last line left by a crash mid-write', async () => {
    const store = await openFileStore({ path })
    await store.put(record('a', 1))
    await store.close()
    await appendFile(path, '{"op":"put","node":{"id":"b","ha')

    const warnings: string[] = []
    const reopened = await openFileStore({ path, onWarning: (m) => warnings.push(m) })
    expect((await reopened.list()).map((n) => n.id)).toEqual(['a'])
    expect(warnings).toEqual([expect.stringContaining('dropped a torn last line')])
    // The next append starts on a clean line, so a later replay reads it.
    await reopened.put(record('c', 3))
    await reopened.close()
    const again = await openFileStore({ path })
    expect((await again.list()).map((n) => n.id)).toEqual(['a', 'c'])
    await again.close()
  })

  it('a complete line missing its newline was never acknowledged and is dropped too', async () => {
    const flat = join(dir, 'store.jsonl')
    await writeFile(flat, JSON.stringify({ op: 'put', node: record('a', 1) }))
    const store = await openFileStore({ path: flat, onWarning: () => undefined })
    expect(await store.list()).toEqual([])
    await store.close()
  })

  it('refuses damage before the last line instead of silently losing nodes', async () => {
    const flat = join(dir, 'store.jsonl')
    await writeFile(flat, `${JSON.stringify({ op: 'put', node: record('a', 1) })}\ngarbage\n${JSON.stringify({ op: 'del', id: 'a' })}\n`)
    await expect(openFileStore({ path: flat })).rejects.toMatchObject({
      code: 'SVC_ERR_NM_STORE_CORRUPT',
      message: expect.stringContaining('damaged at line 2'),
    })
    // The failed open released its lock.
    const store = await openFileStore({ path: join(dir, 'other.jsonl') })
    await store.close()
    await writeFile(flat, '')
    await (await openFileStore({ path: flat })).close()
  })

  it('compacts atomically: same state, shorter log, no temp file left', async () => {
    const store = await openFileStore({ path, compactAfter: 5 })
    for (let i = 0; i < 12; i++) await store.put(record('a', 1000 + i, `h${i}`))
    await store.setHealth([{ id: 'a', hash: 'h11', health: health(3) }])
    const lines = (await readFile(path, 'utf8')).trim().split('\n')
    expect(lines.length).toBeLessThan(5)
    expect(await readdir(join(dir, 'sub'))).toEqual(['store.jsonl', 'store.jsonl.lock'])
    await store.close()
    const reopened = await openFileStore({ path })
    expect(await reopened.list()).toEqual([{ ...record('a', 1011, 'h11'), health: health(3) }])
    await reopened.close()
  })

  it('replaceAll swaps the whole content in one step', async () => {
    const store = await openFileStore({ path })
    await store.put(record('a', 1))
    await store.replaceAll([record('x', 1), record('y', 2)])
    await store.close()
    const reopened = await openFileStore({ path })
    expect((await reopened.list()).map((n) => n.id)).toEqual(['x', 'y'])
    await reopened.close()
  })

  it('allows one writer at a time and names the holder', async () => {
    const store = await openFileStore({ path })
    await expect(openFileStore({ path })).rejects.toMatchObject({
      code: 'SVC_ERR_NM_STORE_LOCKED',
      message: expect.stringContaining(`in use by process ${process.pid}`),
    })
    await store.close()
    await expect(store.list()).rejects.toMatchObject({ code: 'SVC_ERR_NM_STORE_CLOSED' })
    await (await openFileStore({ path })).close()
  })

  it('takes over the lock of a dead process', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid
    await openFileStore({ path }).then((s) => s.close())
    await writeFile(`${path}.lock`, String(dead))
    await (await openFileStore({ path })).close()
  })

  it('keeps every acknowledged write when the writing process is killed', async () => {
    const jiti = createRequire(import.meta.url).resolve('jiti/package.json').replace('package.json', 'lib/jiti-cli.mjs')
    const fixture = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url))
    const child = spawn(process.execPath, [jiti, fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = once(child, 'exit')
    try {
      let out = ''
      for await (const chunk of child.stdout) {
        out += String(chunk)
        if (out.includes('ready')) break
      }
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    // A write interrupted by the crash.
    await appendFile(path, '{"op":"del","id":"n10')

    const store = await openFileStore({ path, onWarning: () => undefined })
    expect((await store.list()).map((n) => n.id)).toEqual(['n1001', 'n1002'])
    await store.close()
  }, 20_000)
})
