/// <reference lib="dom" />
// The graph as Chromium draws it, measured in screen pixels: no arrow runs through a box it does not connect, boxes
// keep a bounded size whatever the window, texts stay in their boxes during a crash, and the header counts the
// states the table shows. Layout cases use in-memory services (the drawing is under test); the crash is a real one.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { ServicesManager, type ServiceSpec } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import type { Page } from 'playwright-core'
import { nodeManagerManifest } from '../../../examples/node-manager/manifest.js'
import { managerSource, startDashboard, type Dashboard } from '../src/index.js'
import { BOX } from '../src/ui/graph-layout.js'
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser.js'
import { drawnGraph, edgesThroughBoxes, labelsOverBoxes, textsOutside } from './helpers/graph-geometry.js'
import { closeManagers, fixtureManager, service } from './helpers/manager.js'

const enabled = chromiumAvailable('the graph drawing tests')
const idle = defineService(async () => ({ ping: () => 'pong' }))

let browser: Browser
const cleanups: (() => Promise<void>)[] = []
/** What the pages reported: a module they could not load, a policy violation, an exception. */
const pageErrors: string[] = []

beforeAll(async () => {
  if (enabled) browser = await launchBrowser()
}, 60_000)
afterEach(async () => {
  try {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  } finally {
    await closeManagers()
  }
  expect(pageErrors.splice(0)).toEqual([])
}, 60_000)
afterAll(async () => browser?.close(), 60_000)

/** A running graph of in-memory services: only the shape of `graph` matters here. */
async function memoryGraph(graph: Record<string, ServiceSpec['dependsOn']>): Promise<ServicesManager> {
  const services = Object.fromEntries(Object.entries(graph).map(([name, dependsOn]) => [name, { entry: 'idle', dependsOn }]))
  const manager = new ServicesManager({ services }, { containers: memoryContainers({ idle }), resolveEntry: (_name, entry) => entry })
  cleanups.push(() => manager.close())
  await manager.start()
  return manager
}

async function open(manager: ServicesManager, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const dashboard: Dashboard = await startDashboard({ source: managerSource(manager) })
  cleanups.push(() => dashboard.close())
  const page = await browser.context.newPage()
  cleanups.push(() => page.close())
  page.setDefaultTimeout(15_000)
  await page.setViewportSize(viewport)
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(message.text())))
  await page.goto(dashboard.url)
  await page.waitForFunction((count) => document.querySelectorAll('#graph [data-service]').length === count, manager.manifest.graph.names.length)
  return page
}

;(enabled ? describe : describe.skip)('the dependency graph in Chromium', () => {
  it('draws no arrow through a box it does not connect: the node-manager example (gateway → checker passes scheduler)', async () => {
    const example: Record<string, ServiceSpec> = nodeManagerManifest().services
    // Only the shape counts here: every service becomes an idle in-memory one, every edge a plain dependency.
    const shape = Object.entries(example).map(([name, spec]) => [name, Array.isArray(spec.dependsOn) ? spec.dependsOn : Object.keys(spec.dependsOn ?? {})])
    const page = await open(await memoryGraph(Object.fromEntries(shape)))
    const graph = await drawnGraph(page)
    expect(Object.keys(graph.edges).sort()).toEqual(shape.flatMap(([name, deps]) => (deps as string[]).map((d) => `${name}→${d}`)).sort())
    expect(Object.keys(graph.edges)).toEqual(expect.arrayContaining(['checker→chain-sim', 'gateway→checker', 'gateway→scheduler', 'scheduler→checker']))
    expect(edgesThroughBoxes(graph)).toEqual([])
  })

  it('draws no arrow through a box, nor a condition label over one, in a denser graph with long arrows', async () => {
    const page = await open(
      await memoryGraph({
        db: [],
        cache: [],
        migrate: { db: 'ready' },
        queue: ['db'],
        api: { db: 'ready', cache: 'started', migrate: 'started' },
        worker: ['queue', 'api', 'db'],
        web: ['api', 'cache'],
        mailer: ['queue', 'db'],
        admin: ['web', 'db', 'cache'],
      }),
    )
    const graph = await drawnGraph(page)
    expect(Object.keys(graph.edges)).toHaveLength(15)
    expect(Object.keys(graph.labels).sort()).toEqual(['api→cache', 'api→migrate'])
    expect(edgesThroughBoxes(graph)).toEqual([])
    expect(labelsOverBoxes(graph)).toEqual([])
  })

  for (const width of [820, 1440]) {
    it(`keeps a 2-service graph at its natural box size in a ${width} px window`, async () => {
      const page = await open(await memoryGraph({ db: [], api: ['db'] }), { width, height: 900 })
      const graph = await drawnGraph(page)
      for (const box of Object.values(graph.boxes)) {
        expect(box.right - box.left).toBeLessThanOrEqual(BOX.width + 2) // + the stroke
        expect(box.bottom - box.top).toBeLessThanOrEqual(BOX.height + 2)
      }
    })
  }

  it('shrinks a wide graph to the window, down to a readable size (then the panel scrolls)', async () => {
    const graph: Record<string, string[]> = { root: [] }
    for (let i = 0; i < 12; i++) graph[`leaf-${i}`] = ['root']
    const drawn = await drawnGraph(await open(await memoryGraph(graph), { width: 820, height: 900 }))
    for (const box of Object.values(drawn.boxes)) expect(box.right - box.left).toBeGreaterThanOrEqual(BOX.width * 0.55 - 1)
  })

  it('keeps every text inside its box while a long-named service is crashed and waits for its restart', async () => {
    const name = 'notification-dispatcher-eu-west-1'
    // A restart far away: the box stays "crashed · restarting · pid" (its longest state) for the whole test.
    const manager = fixtureManager({ [name]: service([], { restart: { policy: 'on-failure', backoff: { initialMs: 600_000, jitter: 0 } } }), api: service([name]) })
    await manager.start()
    const page = await open(manager, { width: 820, height: 900 })
    await page.waitForFunction(() => [...document.querySelectorAll('#graph [data-service]')].every((b) => b.getAttribute('data-tone') === 'running'))
    expect(textsOutside(await drawnGraph(page))).toEqual([])
    manager.kill(name, 'SIGKILL')
    await page.waitForFunction((n) => document.querySelector(`#graph [data-service="${n}"] .svc-state`)?.getAttribute('data-full')?.startsWith('crashed · restarting'), name)
    const graph = await drawnGraph(page)
    expect(textsOutside(graph)).toEqual([])
    // Cut, not lost: the whole name and state are in the box's title.
    const title = await page.textContent(`#graph [data-service="${name}"] title`)
    expect(title).toContain(`${name}: crashed · restarting`)
  })

  it('counts in the header the same states the table shows', async () => {
    const manager = fixtureManager({ db: service([], { restart: 'never' }), api: service(['db']), web: service(['api']) })
    await manager.start()
    const page = await open(manager)
    // db crashes for good; api and web are closed because it did (the header used to call them "stopped").
    manager.kill('db', 'SIGKILL')
    await page.waitForFunction(() => {
      const states = [...document.querySelectorAll('#services-body tr')].map((tr) => tr.getAttribute('data-state'))
      return states.join() === 'closed,crashed,closed' // api, db, web: the table is in name order
    })
    const states = await page.$$eval('#services-body tr .col-state', (cells) => cells.map((c) => c.textContent ?? ''))
    const counts = new Map<string, number>()
    for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1)
    const [total, ...parts] = (await page.textContent('#summary'))!.split(' · ')
    expect(total).toBe('3 services')
    expect(parts.sort()).toEqual([...counts].map(([state, n]) => `${n} ${state}`).sort())
  })
})
