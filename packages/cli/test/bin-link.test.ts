import { expect, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// `npx svc` in this repository: npm links a workspace's bin at install time only if its file exists then, before any
// build — so the bin is a committed launcher (bin/svc.js), not dist/bin.js.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

test('npm linked svc into node_modules/.bin at install, and it runs the built CLI', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  const { stdout } = await promisify(execFile)(`${ROOT}node_modules/.bin/svc`, ['--version'], { cwd: ROOT })
  expect(stdout.trim()).toBe(version)
})
