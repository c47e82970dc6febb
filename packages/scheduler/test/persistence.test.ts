import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileTaskStore } from '../src/store.js'
import { checkTask, harness, type Harness } from './helpers/setup.js'

let dir: string
let running: Harness[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svc-scheduler-'))
})
afterEach(async () => {
  await Promise.all(running.map((h) => h.scheduler.stop()))
  running = []
  await rm(dir, { recursive: true, force: true })
})

function start(path = join(dir, 'state', 'tasks.json')): Harness {
  const h = harness({ store: new FileTaskStore(path) })
  running.push(h)
  return h
}

describe('FileTaskStore', () => {
  it('reads a missing file as empty state and writes through a temp file it does not leave behind', async () => {
    const path = join(dir, 'nested', 'tasks.json')
    const store = new FileTaskStore(path)
    await expect(store.load()).resolves.toEqual({ tasks: [], enabled: {} })
    await store.save({ tasks: [checkTask], enabled: { check: false } })
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, tasks: [checkTask], enabled: { check: false } })
    expect(await readdir(join(dir, 'nested'))).toEqual(['tasks.json'])
  })

  it('applies concurrent saves in call order', async () => {
    const store = new FileTaskStore(join(dir, 'tasks.json'))
    await Promise.all([1, 2, 3, 4, 5].map((n) => store.save({ tasks: [], enabled: { [`t${n}`]: true } })))
    await expect(store.load()).resolves.toEqual({ tasks: [], enabled: { t5: true } })
  })

  it('ignores a temp file left by a crash mid-write: the state file is still the last complete one', async () => {
    const path = join(dir, 'tasks.json')
    const store = new FileTaskStore(path)
    await store.save({ tasks: [checkTask], enabled: {} })
    await writeFile(join(dir, '.tasks.json.123.abcd.tmp'), '{"version":1,"tasks":[{"na')
    await expect(new FileTaskStore(path).load()).resolves.toEqual({ tasks: [checkTask], enabled: {} })
  })

  it('refuses a corrupt state file with a coded error that says what to do', async () => {
    const path = join(dir, 'tasks.json')
    await writeFile(path, '{ not json')
    await expect(new FileTaskStore(path).load()).rejects.toMatchObject({
      code: 'SVC_ERR_SCHED_STATE_FILE_CORRUPT',
      message: expect.stringContaining(path),
    })
  })
})

describe('persistence across restarts', () => {
  it('keeps tasks added at run time and enabled flags changed at run time', async () => {
    const first = start()
    await first.scheduler.bootstrap([checkTask])
    await first.scheduler.taskAdd({ name: 'extra', every: '1m', call: { service: 's', method: 'm' } })
    await first.scheduler.taskStop('check')
    await first.scheduler.stop()

    const second = start()
    const list = await second.scheduler.bootstrap([checkTask])
    expect(list.map((t) => [t.definition.name, t.source, t.enabled])).toEqual([
      ['check', 'config', false],
      ['extra', 'runtime', true],
    ])
    await second.scheduler.taskStart('check')
    await second.scheduler.stop()

    const third = start()
    expect((await third.scheduler.bootstrap([checkTask])).map((t) => t.enabled)).toEqual([true, true])
  })

  it('lets the config win when a runtime task has the same name, and cleans the file', async () => {
    const path = join(dir, 'tasks.json')
    const first = start(path)
    await first.scheduler.bootstrap([])
    await first.scheduler.taskAdd({ ...checkTask, every: '1h' })
    await first.scheduler.stop()

    const second = start(path)
    const [status] = await second.scheduler.bootstrap([checkTask])
    expect(status).toMatchObject({ source: 'config', definition: { every: '5s' } })
    expect(String(second.warnings[0]?.[0])).toContain('config definition wins')
    expect(JSON.parse(await readFile(path, 'utf8')).tasks).toEqual([])
  })

  it('drops a persisted task that is no longer valid, with a warning, and starts the rest', async () => {
    const path = join(dir, 'tasks.json')
    await writeFile(path, JSON.stringify({ version: 1, tasks: [{ name: 'broken', every: 'soon' }, checkTask], enabled: { gone: false } }))
    const h = start(path)
    expect((await h.scheduler.bootstrap([])).map((t) => t.definition.name)).toEqual(['check'])
    expect(String(h.warnings[0]?.[0])).toContain('"broken"')
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ version: 1, tasks: [checkTask], enabled: {} })
  })

  it('changes nothing when the state cannot be saved', async () => {
    const failing = { load: async () => ({ tasks: [], enabled: {} }), save: async () => Promise.reject(new Error('disk full')) }
    const h = harness({ store: failing })
    running.push(h)
    await h.scheduler.bootstrap([checkTask])
    await expect(h.scheduler.taskAdd({ ...checkTask, name: 'extra' })).rejects.toThrow('disk full')
    await expect(h.scheduler.taskStop('check')).rejects.toThrow('disk full')
    expect(h.scheduler.taskList()).toEqual([expect.objectContaining({ enabled: true, nextRunAt: 5_000 })])
  })
})
