/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real manager whose
// services are child processes: the token, the graph, a crash seen as it happens, the restart button, the log
// view, the charts — and a 60-service graph (in-memory containers) that must stay responsive.
// The screenshot goes to a temp directory; SVC_DASHBOARD_SCREENSHOT=1 (`npm run screenshot -w
// @services-cluster/dashboard`) writes docs/dashboard.png instead.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { ServicesManager } from '@services-cluster/core'
import { memoryContainers } from '@services-cluster/core/testing'
import { defineService } from '@services-cluster/core/remote'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { managerSource, startDashboard, type Dashboard } from '../src/index.js'
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser.js'
import { closeManagers, fixtureManager, service } from './helpers/manager.js'

const enabled = chromiumAvailable('the dashboard browser tests')
const SCREENSHOT_TO_DOCS = process.env.SVC_DASHBOARD_SCREENSHOT === '1'
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url))

const onFailure = { policy: 'on-failure' as const, backoff: { initialMs: 400, jitter: 0 } }

/** The box of a service in the graph: its colour (data-tone) and pid, read in the page. */
function box(page: Page, name: string): Promise<{ tone: string | null; pid: string | null }> {
  return page.$eval(`#graph [data-service="${name}"]`, (el) => ({ tone: el.getAttribute('data-tone'), pid: el.getAttribute('data-pid') }))
}

function allRunning(page: Page): Promise<unknown> {
  return allRunningBut(page)
}

function allRunningBut(page: Page, except?: string): Promise<unknown> {
  return page.waitForFunction((skip) => {
    const boxes = [...document.querySelectorAll('#graph [data-service]')].filter((b) => b.getAttribute('data-service') !== skip)
    return boxes.length > 0 && boxes.every((b) => b.getAttribute('data-tone') === 'running')
  }, except)
}

/** Resolves once the manager holds `count` usage samples of `service`. */
function samples(manager: ServicesManager, service: string, count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (manager.usage(service).length < count) return
      manager.off('usage', check)
      resolve()
    }
    manager.on('usage', check)
    check()
  })
}

;(enabled ? describe : describe.skip)('the dashboard in Chromium', () => {
  let manager: ServicesManager
  let dashboard: Dashboard
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  let shots: string

  beforeAll(async () => {
    shots = mkdtempSync(join(tmpdir(), 'svc-dashboard-shots-')) // here, not at collection: a skipped suite makes none
    manager = fixtureManager(
      {
        db: service([], { restart: onFailure, config: { busyMs: 4 } }),
        cache: service([], { restart: onFailure }),
        queue: service(['db'], { restart: onFailure }),
        api: service(['db', 'cache'], { restart: onFailure, config: { busyMs: 12 } }),
        worker: service(['queue', 'api'], { restart: onFailure, config: { busyMs: 3 } }),
        web: service(['api'], { restart: onFailure }),
        // Never restarted: once it throws, it stays red (the screenshot shows one crashed service).
        mailer: service(['queue'], { restart: 'never' }),
      },
      { usageIntervalMs: 250 },
    )
    await manager.start()
    dashboard = await startDashboard({ source: managerSource(manager) })
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await dashboard?.close()
    await closeManagers()
    rmSync(shots, { recursive: true, force: true })
  }, 60_000)

  // First, while the browser has no cookie yet.
  it('refuses the page without the token', async () => {
    const bare = await browser.context.newPage()
    const response = await bare.goto(`http://127.0.0.1:${dashboard.port}/`)
    expect(response?.status()).toBe(401)
    expect(await bare.textContent('body')).toContain('SVC_ERR_DASHBOARD_UNAUTHORIZED')
    const wrong = await bare.goto(`http://127.0.0.1:${dashboard.port}/?token=not-the-token`)
    expect(wrong?.status()).toBe(401)
    await bare.close()
  })

  it('loads with the token and draws every service, with an arrow per dependency', async () => {
    page = await browser.context.newPage()
    page.setDefaultTimeout(15_000) // under jest's 30 s, so a failure names the step that waited
    page.on('pageerror', (error) => pageErrors.push(error.message))
    const response = await page.goto(dashboard.url)
    expect(response?.status()).toBe(200)
    await page.waitForSelector('#connection[data-status="live"]')
    await allRunning(page)
    const names = await page.$$eval('#graph [data-service]', (els) => els.map((e) => e.getAttribute('data-service')))
    expect(names.sort()).toEqual(['api', 'cache', 'db', 'mailer', 'queue', 'web', 'worker'])
    const edges = await page.$$eval('#graph .edge', (els) => els.map((e) => `${e.getAttribute('data-from')}→${e.getAttribute('data-to')}`))
    expect(edges.sort()).toEqual(['api→cache', 'api→db', 'mailer→queue', 'queue→db', 'web→api', 'worker→api', 'worker→queue'])
    const rows = await page.$$eval('#services-body tr', (trs) => trs.map((tr) => [tr.getAttribute('data-service'), tr.querySelector('.col-state')?.textContent]))
    expect(rows).toEqual(['api', 'cache', 'db', 'mailer', 'queue', 'web', 'worker'].map((n) => [n, 'running']))
    expect(await page.textContent('#summary')).toBe('7 services · 7 running')
  })

  it('shows a crash as it happens: the box turns red, its dependents close, then everything runs again', async () => {
    // Every colour each box takes, in order, recorded in the page.
    await page.evaluate(() => {
      const seen: string[] = []
      ;(window as unknown as { tones: string[] }).tones = seen
      new MutationObserver((records) => {
        for (const r of records) seen.push(`${(r.target as Element).getAttribute('data-service')}:${(r.target as Element).getAttribute('data-tone')}`)
      }).observe(document.getElementById('graph')!, { subtree: true, attributes: true, attributeFilter: ['data-tone'] })
    })
    const before = (await box(page, 'db')).pid
    expect(before).toBe(String(manager.service('db').pid))
    manager.kill('db', 'SIGKILL')
    await page.waitForFunction(() => (window as unknown as { tones: string[] }).tones.includes('db:crashed'))
    expect(await page.textContent('#graph [data-service="db"] .svc-state')).toMatch(/^crashed/)
    await page.waitForFunction((old) => {
      const db = document.querySelector('#graph [data-service="db"]')
      return db?.getAttribute('data-tone') === 'running' && db.getAttribute('data-pid') !== old
    }, before)
    await allRunning(page)
    const tones = await page.evaluate(() => (window as unknown as { tones: string[] }).tones)
    // The cascade: what depends on db closed after the crash and came back after it.
    for (const dependent of ['queue', 'api', 'worker', 'web', 'mailer']) {
      expect(tones.indexOf(`${dependent}:stopped`)).toBeGreaterThan(tones.indexOf('db:crashed'))
      expect(tones.lastIndexOf(`${dependent}:running`)).toBeGreaterThan(tones.lastIndexOf('db:running'))
    }
    expect(tones).not.toContain('cache:stopped')
    const row = await page.$eval('#services-body tr[data-service="db"]', (tr) => [tr.querySelector('.col-restarts')?.textContent, tr.querySelector('.col-lastExit')?.textContent])
    expect(row[0]).toBe('1')
    expect(row[1]).toMatch(/^crashed · SIGKILL · /)
  })

  it('restarts a service from its button, after a confirmation that names its dependents', async () => {
    await page.click('#graph [data-service="api"]')
    await page.waitForFunction(() => document.getElementById('detail-name')?.textContent === 'api')
    const before = (await box(page, 'api')).pid

    // Cancel changes nothing.
    await page.click('#action-restart')
    await page.waitForSelector('#confirm[open]')
    await page.click('#confirm-cancel')
    await page.waitForSelector('#confirm:not([open])', { state: 'attached' })
    expect((await box(page, 'api')).pid).toBe(before)

    await page.click('#action-restart')
    await page.waitForSelector('#confirm[open]')
    expect(await page.textContent('#confirm-title')).toBe('Restart "api"?')
    const question = await page.textContent('#confirm-text')
    expect(question).toContain('"worker"')
    expect(question).toContain('"web"')
    await page.click('#confirm-ok')
    await page.waitForFunction((old) => {
      const api = document.querySelector('#graph [data-service="api"]')
      return api?.getAttribute('data-tone') === 'running' && api.getAttribute('data-pid') !== old
    }, before)
    await page.waitForFunction(() => document.getElementById('toast')?.textContent === 'restart "api": done')
    await allRunning(page)
    expect(String(manager.service('api').pid)).toBe((await box(page, 'api')).pid)
    expect(manager.service('api').pid).not.toBe(Number(before))
  })

  it('follows the selected service log, searches it, and highlights exception reports', async () => {
    await page.click('#services-body tr[data-service="web"]')
    await page.waitForFunction(() => document.getElementById('log-service')?.textContent === 'web')
    await manager.call('web', 'say', 'hello from the test')
    await page.waitForFunction(() => document.getElementById('log-lines')?.textContent?.includes('hello from the test'))
    // A service's control characters show spelled: a CR and an erase sequence cannot pass for another line.
    await manager.call('web', 'say', '\r\x1b[2Kdb | forged \u009b')
    await page.waitForFunction(() => document.getElementById('log-lines')?.textContent?.includes('\\r\\x1b[2Kdb | forged \\u009b'))

    const back = manager.waitFor('web', 'closed').then(() => manager.waitFor('web', 'running'))
    await manager.call('web', 'throwSoon', 'kaboom <b>not markup</b>')
    const report = await page.waitForSelector('.log-line[data-kind="exception"]')
    expect(await report.textContent()).toContain('[svc] uncaughtException: kaboom <b>not markup</b>')
    expect(await page.$('.log-line b')).toBeNull() // log text is text, never HTML

    await page.fill('#log-search', 'KABOOM')
    await page.waitForFunction(() => document.getElementById('log-count')?.textContent?.endsWith('lines match'))
    const visible = await page.$$eval('.log-line:not([hidden]) .log-text', (els) => els.map((e) => e.textContent ?? ''))
    expect(visible.length).toBeGreaterThan(0)
    expect(visible.every((t) => t.toLowerCase().includes('kaboom'))).toBe(true)
    expect(await page.$$eval('.log-line:not([hidden]) mark', (els) => els.map((e) => e.textContent))).toContain('kaboom')
    await page.fill('#log-search', '')
    await back
    await allRunning(page)
  })

  it('draws CPU and memory charts from the usage history', async () => {
    await page.click('#graph [data-service="api"]')
    // Two samples or more draw a line ("M x,y L x,y …").
    await page.waitForFunction(() => (document.querySelector('#cpu-chart .chart-line')?.getAttribute('d') ?? '').includes(' L'))
    await page.waitForFunction(() => (document.querySelector('#rss-chart .chart-line')?.getAttribute('d') ?? '').includes(' L'))
    expect(await page.textContent('#rss-caption')).toMatch(/^now \d+(\.\d)? MB · max \d+(\.\d)? MB$/)
    expect(await page.textContent('#services-body tr[data-service="api"] .col-cpu')).toMatch(/^\d+\.\d%$/)
  })

  it('saves a screenshot of the dashboard (docs/dashboard.png with SVC_DASHBOARD_SCREENSHOT=1)', async () => {
    // Something worth looking at: a service that crashed for good, and one that crashed and came back.
    const mailerDown = manager.waitFor('mailer', 'closed')
    await manager.call('mailer', 'throwSoon', 'SMTP relay refused the connection')
    await mailerDown
    const apiBack = manager.waitFor('api', 'closed').then(() => manager.waitFor('api', 'running'))
    for (const line of ['GET /orders/41 200 9ms', 'GET /orders/42 200 12ms', 'POST /orders 201 31ms']) await manager.call('api', 'say', line)
    await manager.call('api', 'throwSoon', 'Cannot read properties of undefined (reading "total")')
    await apiBack
    await allRunningBut(page, 'mailer')
    await page.click('#graph [data-service="api"]')
    await page.waitForFunction(() => document.querySelector('.log-line[data-kind="exception"]') !== null && document.getElementById('log-lines')?.textContent?.includes('api up'))
    if (SCREENSHOT_TO_DOCS) await samples(manager, 'api', 100) // fuller charts for the docs
    await page.waitForSelector('#toast', { state: 'hidden' })
    await page.waitForFunction(() => (document.querySelector('#cpu-chart .chart-line')?.getAttribute('d') ?? '').includes(' L'))
    const file = SCREENSHOT_TO_DOCS ? DOCS_SCREENSHOT : join(shots, 'dashboard.png')
    const png = await page.screenshot({ path: file })
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    expect((await box(page, 'mailer')).tone).toBe('crashed')
    expect(pageErrors).toEqual([])
  }, 60_000)
})

;(enabled ? describe : describe.skip)('the dashboard with 60 services', () => {
  let manager: ServicesManager
  let dashboard: Dashboard
  let browser: Browser

  beforeAll(async () => {
    // In-memory containers: the page is under test here, not 60 process starts.
    const idle = defineService(async () => ({ ping: () => 'pong' }))
    const services: Record<string, { entry: string; dependsOn: string[]; restart: typeof onFailure }> = {}
    const add = (name: string, dependsOn: string[]) => (services[name] = { entry: 'idle', dependsOn, restart: { ...onFailure, backoff: { initialMs: 100, jitter: 0 } } })
    for (let i = 0; i < 4; i++) add(`store-${i}`, [])
    // store-0's restart waits long enough for a loaded machine's page to show the cascade: the test looks for it.
    services['store-0']!.restart = { ...onFailure, backoff: { initialMs: 1500, jitter: 0 } }
    for (let i = 0; i < 16; i++) add(`core-${i}`, [`store-${i % 4}`, `store-${(i + 1) % 4}`])
    for (let i = 0; i < 40; i++) add(`edge-${String(i).padStart(2, '0')}`, [`core-${i % 16}`])
    manager = new ServicesManager({ services }, { containers: memoryContainers({ idle }), resolveEntry: (_name, entry) => entry })
    await manager.start()
    dashboard = await startDashboard({ source: managerSource(manager) })
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await dashboard?.close()
    await manager?.close()
  }, 60_000)

  it('draws every box and row, and stays responsive through a crash cascade across the graph', async () => {
    const page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(dashboard.url)
    await allRunning(page)
    expect(await page.$$eval('#graph [data-service]', (els) => els.length)).toBe(60)
    expect(await page.$$eval('#graph .edge', (els) => els.length)).toBe(16 * 2 + 40)
    expect(await page.$$eval('#services-body tr', (els) => els.length)).toBe(60)

    await page.evaluate(() => {
      const long: number[] = []
      ;(window as unknown as { longTasks: number[] }).longTasks = long
      new PerformanceObserver((list) => list.getEntries().forEach((e) => long.push(e.duration))).observe({ type: 'longtask' })
    })
    // store-0 takes half the graph down with it (8 core services, 20 edge services), then brings it back.
    manager.kill('store-0', 'SIGKILL')
    await page.waitForFunction(() => document.querySelectorAll('#graph [data-tone="stopped"]').length >= 20)
    await allRunning(page)
    const longest = await page.evaluate(() => Math.max(0, ...(window as unknown as { longTasks: number[] }).longTasks))
    // A frozen page shows as one long task; rendering 60 services' updates must stay well under that.
    expect(longest).toBeLessThan(200)
  })
})
