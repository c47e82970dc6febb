/// <reference lib="dom" />
// The dashboard of one host of a graph across hosts (a cluster on NATS), in Chromium: the host column says where each
// service runs, and the log pane of a service that runs on another host shows that host's lines, named by host — its
// tail, then each new line as it is written there. Host a is a manager process of its own (the core's cross-host
// fixture); host b is a manager in this process, whose dashboard the browser opens.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { ServicesManager } from '@services-cluster/core'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { ClusterHost } from '../../../test-support/cluster-host.js'
import { deleteClusterBuckets, NATS_URL, natsForTests } from '../../../test-support/nats.js'
import { managerSource, startDashboard, type Dashboard } from '../src/index.js'
import { chromiumAvailable, launchBrowser, type Browser } from './helpers/browser.js'

const FIXTURES = fileURLToPath(new URL('../../core/test/fixtures/', import.meta.url))
const enabled = chromiumAvailable('the dashboard across hosts') && (await natsForTests('the dashboard across hosts'))
const cluster = `dash${process.pid}-${randomBytes(3).toString('hex')}`
const manifest = {
  cluster: { name: cluster, nats: NATS_URL },
  services: {
    store: { entry: './cluster/node.ts', placement: { hosts: ['a'] } },
    api: { entry: './cluster/node.ts', dependsOn: ['store'], placement: { hosts: ['b'] }, config: { needs: ['store'] } },
  },
}

;(enabled ? describe : describe.skip)('the dashboard of one host of a graph across hosts', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'svc-dash-a-')), mkdtempSync(join(tmpdir(), 'svc-dash-b-'))]
  let hostA: ClusterHost
  let manager: ServicesManager
  let dashboard: Dashboard
  let browser: Browser
  let page: Page

  beforeAll(async () => {
    hostA = new ClusterHost('a', manifest, dirs[0]!)
    // b's start waits for store on a; a's start resolves once b runs api.
    manager = new ServicesManager({ ...manifest, stateDir: dirs[1]! }, { cwd: FIXTURES, host: 'b', clusterTtlMs: 1000 })
    await manager.start()
    await hostA.until((l) => l.ready === true)
    dashboard = await startDashboard({ source: managerSource(manager) })
    browser = await launchBrowser()
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await dashboard?.close()
    await manager?.close()
    await hostA?.stop()
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    if (enabled) await deleteClusterBuckets([cluster])
  }, 60_000)

  it("shows each service's host, and follows the log of one on another host, named by host", async () => {
    page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    await page.goto(dashboard.url)
    await page.waitForSelector('#connection[data-status="live"]')
    const hostOf = (name: string) => page.textContent(`#services-body tr[data-service="${name}"] .col-host`)
    await page.waitForFunction(() => document.querySelector('#services-body tr[data-service="store"] .col-state')?.textContent === 'running')
    expect([await hostOf('store'), await hostOf('api')]).toEqual(['a', 'b'])

    await page.click('#services-body tr[data-service="store"]')
    await page.waitForFunction(() => document.getElementById('log-service')?.textContent === 'store')
    // The tail: what store wrote on a as it started.
    await page.waitForFunction(() => [...document.querySelectorAll('.log-line')].some((l) => l.textContent?.includes('store@a up')))
    // A new line written on a, as it comes.
    expect(await manager.call('store', 'say', 'written on host a')).toBe(true)
    const line = await page.waitForSelector('.log-line:has-text("written on host a")')
    expect(await line.$eval('.log-host', (el) => el.textContent)).toBe('a')
    expect(await line.$eval('.log-text', (el) => el.textContent)).toContain('written on host a')
  }, 60_000)
})
