/// <reference lib="dom" />
// A service of several instances on the page, with real processes: its one box carries the count ("×2", "2/3
// ready"), and the table has a row per instance under the service's, following scale() and an instance's crash as
// they happen. A service of one instance keeps its box and row as they were (pid on the box, no instance rows).

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import type { ServicesManager } from '@services-cluster/core'
import type { Page } from 'playwright-core'
import { managerSource, startDashboard, type Dashboard } from '../src/index.js'
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser.js'
import { closeManagers, fixtureManager, service } from './helpers/manager.js'

const enabled = chromiumAvailable('the instance page tests')

/** Every row of the table: its instance id (or service name) and the text of its state cell. */
function rows(page: Page): Promise<string[][]> {
  return page.$$eval('#services-body tr', (trs) => trs.map((tr) => [tr.getAttribute('data-instance') ?? tr.getAttribute('data-service')!, tr.querySelector('.col-state')!.textContent!]))
}

function boxCount(page: Page, name: string): Promise<string | null> {
  return page.$eval(`#graph [data-service="${name}"] .svc-count`, (el) => el.textContent)
}

;(enabled ? describe : describe.skip)('instances on the page', () => {
  let manager: ServicesManager
  let dashboard: Dashboard
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    // restart 'never': a killed instance stays down while its sibling serves, so the page can be read at leisure.
    manager = fixtureManager({ api: service([], { instances: 2, restart: 'never' }), web: service(['api']) })
    await manager.start()
    dashboard = await startDashboard({ source: managerSource(manager) })
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(dashboard.url)
    await page.waitForSelector('#connection[data-status="live"]')
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await dashboard?.close()
    await closeManagers()
  }, 60_000)

  it('draws one box per service with the instance count, and a row per instance under the service', async () => {
    await page.waitForSelector('#graph [data-service="api"][data-instances="×2"]')
    expect(await page.$$eval('#graph [data-service]', (els) => els.map((e) => e.getAttribute('data-service')).sort())).toEqual(['api', 'web'])
    expect(await boxCount(page, 'api')).toBe('×2')
    expect(await page.textContent('#graph [data-service="api"] .svc-state')).toBe('running') // the pids are in the rows
    // A service of one instance reads as before: no count, its pid on the box.
    expect(await boxCount(page, 'web')).toBe('')
    expect(await page.getAttribute('#graph [data-service="web"]', 'data-instances')).toBeNull()
    expect(await page.textContent('#graph [data-service="web"] .svc-state')).toBe(`running · ${manager.service('web').pid}`)

    expect(await rows(page)).toEqual([
      ['api', 'running 2/2'],
      ['api#0', 'running'],
      ['api#1', 'running'],
      ['web', 'running'],
    ])
    const pids = await page.$$eval('#services-body tr.instance .col-pid', (tds) => tds.map((td) => td.textContent))
    expect(pids).toEqual(manager.service('api').instances.map((i) => String(i.pid)))
    expect(await page.textContent('#services-body tr[data-service="api"]:not(.instance) .col-pid')).toBe('-')
    // Where each runs: this host (in a graph across hosts, each instance's own).
    const hosts = await page.$$eval('#services-body tr .col-host', (tds) => tds.map((td) => td.textContent))
    const here = manager.service('api').instances[0]!.host
    expect(hosts).toEqual([here, here, here, here])
  })

  it('follows scale(): a third box count and row appear once the new instance runs', async () => {
    await manager.scale('api', 3)
    await page.waitForSelector('#graph [data-service="api"][data-instances="×3"]')
    await page.waitForFunction(() => document.querySelectorAll('#services-body tr.instance').length === 3)
    expect(await rows(page)).toEqual([
      ['api', 'running 3/3'],
      ['api#0', 'running'],
      ['api#1', 'running'],
      ['api#2', 'running'],
      ['web', 'running'],
    ])
  })

  it('shows an instance that crashed while its siblings serve: "2/3 ready", its row closed without a pid', async () => {
    await manager.kill('api#1')
    await page.waitForSelector('#graph [data-service="api"][data-instances="2/3 ready"]')
    expect(await boxCount(page, 'api')).toBe('2/3 ready')
    await page.waitForFunction(() => document.querySelector('#services-body tr[data-instance="api#1"]')?.getAttribute('data-state') === 'closed')
    expect(await rows(page)).toEqual([
      ['api', 'running 2/3'],
      ['api#0', 'running'],
      ['api#1', 'closed'],
      ['api#2', 'running'],
      ['web', 'running'],
    ])
    expect(await page.textContent('#services-body tr[data-instance="api#1"] .col-pid')).toBe('-')
    expect(await page.getAttribute('#graph [data-service="api"]', 'data-tone')).toBe('running') // the service still serves
  })
})
