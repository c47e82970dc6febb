// Debian's Chromium driven by playwright-core (no browser download: the network is closed on these machines).
// Missing Chromium skips the browser tests with one line, except under CI=true, where it is a failure.

import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROMIUM = process.env.SVC_CHROMIUM ?? '/usr/bin/chromium'

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export function chromiumAvailable(what: string): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') throw new Error(`${what}: ${CHROMIUM} is missing, and CI=true requires it (apt-get install -y chromium).`)
  console.log(`[dashboard tests] skipping ${what}: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set SVC_CHROMIUM, to enable)`)
  return false
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** A fresh profile each time (playwright passes it as --user-data-dir), removed on close. */
export async function launchBrowser(viewport = { width: 1440, height: 900 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'svc-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport })
  return {
    context,
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}
