/// <reference lib="dom" />
// Command services and one-shots on the page, with real processes: a command box is drawn apart from a Node
// service's, a one-shot that exited 0 shows `completed`, an arrow whose condition is not 'ready' says which, and the
// table shows the command line and what a start waits for ("waiting for tcp 127.0.0.1:…") until its probe passes.
// The probe's port is opened by the test when it chooses: no timers decide when the service becomes ready.

import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import { createServer, type Server } from 'node:net'
import type { Page } from 'playwright-core'
import { managerSource, startDashboard } from '../src/index.js'
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser.js'
import { closeManagers, fixtureManager, service } from './helpers/manager.js'

const enabled = chromiumAvailable('the command service page tests')

let browser: Browser
const cleanups: (() => Promise<void>)[] = []
beforeAll(async () => {
  if (enabled) browser = await launchBrowser()
}, 60_000)
afterEach(async () => {
  try {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  } finally {
    await closeManagers()
  }
}, 60_000)
afterAll(async () => browser?.close(), 60_000)

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
  })
}

/** A port nothing listens on (yet): taken from the kernel, then let go. */
async function freePort(): Promise<number> {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const cell = (page: Page, name: string, column: string) => page.textContent(`#services-body tr[data-service="${name}"] .col-${column}`)

;(enabled ? describe : describe.skip)('command services on the page', () => {
  it('shows command boxes, a completed one-shot, edge conditions, the command line, and what a start waits for', async () => {
    const port = await freePort()
    const manager = fixtureManager({
      cache: { command: ['sleep', '1000'], ready: { tcp: port, intervalMs: 50 }, startTimeoutMs: 60_000 },
      migrate: { command: 'echo migrated', oneshot: true },
      api: service([], { dependsOn: { migrate: 'completed', cache: 'started' } }),
    })
    const started = manager.start()
    started.catch(() => {}) // awaited at the end; if the test fails first, closing the manager abandons it
    const dashboard = await startDashboard({ source: managerSource(manager) })
    cleanups.push(() => dashboard.close())
    const page = await browser.context.newPage()
    cleanups.push(() => page.close())
    page.setDefaultTimeout(15_000)
    await page.goto(dashboard.url)

    // cache's process runs, its probe does not pass: the table says what it waits for.
    const waiting = `starting · waiting for tcp 127.0.0.1:${port}`
    await page.waitForFunction((text) => document.querySelector('#services-body tr[data-service="cache"] .col-state')?.textContent === text, waiting)
    expect(await cell(page, 'cache', 'command')).toBe('sleep 1000')
    await page.click('#graph [data-service="cache"]')
    await page.waitForFunction(() => document.getElementById('detail-name')?.textContent === 'cache')
    expect(await page.textContent('#detail-command')).toBe('command: sleep 1000')
    expect(await page.textContent('#detail-reason')).toMatch(/waiting for tcp 127\.0\.0\.1:\d+$/)
    expect(await page.getAttribute('#graph [data-service="cache"]', 'data-pid')).toBe(String(manager.service('cache').pid))

    // api waits for migrate to complete and for cache's process only: it runs while cache is still starting.
    await page.waitForSelector('#graph [data-service="api"][data-state="running"]')
    await page.waitForSelector('#graph [data-service="migrate"][data-state="completed"]')
    expect(await page.textContent('#graph [data-service="migrate"] .svc-state')).toBe('completed')
    expect(await cell(page, 'migrate', 'command')).toBe('echo migrated')
    expect(await cell(page, 'api', 'command')).toBe('-')
    expect(await cell(page, 'api', 'dependsOn')).toBe('migrate (completed), cache (started)')

    const kinds = await page.$$eval('#graph [data-service]', (boxes) =>
      Object.fromEntries(boxes.map((b) => [b.getAttribute('data-service'), [b.getAttribute('data-kind'), b.querySelector('.svc-kind')?.textContent]])),
    )
    expect(kinds).toEqual({ api: ['node', ''], cache: ['command', 'cmd'], migrate: ['command', 'once'] })
    const labels = await page.$$eval('#graph .edge-label', (els) => els.map((e) => `${e.getAttribute('data-from')}→${e.getAttribute('data-to')}: ${e.textContent}`))
    expect(labels.sort()).toEqual(['api→cache: started', 'api→migrate: completed'])

    // The port opens: the probe passes and the row says running, with nothing left to wait for.
    const server = createServer((socket) => socket.destroy())
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    await listen(server, port)
    await page.waitForFunction(() => document.querySelector('#services-body tr[data-service="cache"] .col-state')?.textContent === 'running')
    await started
  })
})
