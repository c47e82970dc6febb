import { afterAll, beforeAll, expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { until } from './harness.js'

// What a user does: install the packed packages into a project of their own, outside this repository, and test a
// graph there. The project gets the tarballs of core and cli (and the workspace packages they depend on), jest and
// vitest at the versions this repository locks (so the npm cache has them), and the three examples of
// docs/testing.md, copied from docs/examples/testing/ as they are: jest under its default configuration (CommonJS,
// no transform set up), jest with native ES modules, and vitest. Each runs its 3-service graph and its fault test.
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url))
const EXAMPLES = join(ROOT, 'docs/examples/testing')
const INSTALL_TIMEOUT = 240_000
const RUN_TIMEOUT = 90_000

interface Manifest {
  name: string
  version: string
  dependencies?: Record<string, string>
}
const readManifest = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Manifest

// core and cli, and every @services-cluster package they depend on, by workspace folder.
function workspacesNeeded(): string[] {
  const byName = new Map(readdirSync(join(ROOT, 'packages')).map((dir) => [readManifest(join(ROOT, 'packages', dir, 'package.json')).name, `packages/${dir}`]))
  const needed = new Set<string>()
  const visit = (name: string) => {
    const dir = byName.get(name)
    if (dir === undefined || needed.has(dir)) return
    needed.add(dir)
    for (const dep of Object.keys(readManifest(join(ROOT, dir, 'package.json')).dependencies ?? {})) visit(dep)
  }
  visit('@services-cluster/core')
  visit('@services-cluster/cli')
  return [...needed]
}

// The child's environment: this Node first in PATH (npm, jest, vitest and the services run on it); npm's settings
// (registry, cache, proxy: npm_config_*) kept, but not what describes the npm script or the jest worker this test runs
// in — the repository's package (npm_package_*, npm_config_local_prefix, INIT_CWD), JEST_WORKER_ID, NODE_OPTIONS.
const NOT_PASSED_ON = /^(?:npm_package_|npm_lifecycle_|npm_command$|npm_execpath$|npm_node_execpath$|npm_config_local_prefix$|INIT_CWD$|JEST_|NODE_OPTIONS$|NODE_ENV$|FORCE_COLOR$)/i

function childEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !NOT_PASSED_ON.test(key)))
  return { ...env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' }
}

interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  output: string
}
const running = new Set<number>()

// Runs a command in its own process group; on timeout the whole group gets SIGKILL and the result says so.
function run(command: string, args: string[], cwd: string, timeoutMs = RUN_TIMEOUT): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk))
    child.once('error', reject)
    running.add(child.pid!)
    const timer = setTimeout(() => {
      output += `\n[${command} ${args.join(' ')} did not end within ${timeoutMs} ms: its process group was killed]`
      killGroup(child.pid!)
    }, timeoutMs)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      running.delete(child.pid!)
      resolve({ code, signal, output })
    })
  })
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

// Processes whose command line or working directory is inside the project: test runners or services left behind.
function processesIn(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
      let cwd = ''
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`)
      } catch {
        // not ours to read
      }
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(dir + '/')) found.push(`${pid} ${cmdline}`)
    } catch {
      // exited while we looked
    }
  }
  return found
}

const report = (what: string, result: Result) => `${what}: exit code ${result.code}${result.signal ? `, signal ${result.signal}` : ''}\n${result.output}`

let project: string

beforeAll(async () => {
  project = realpathSync(mkdtempSync(join(tmpdir(), 'svc-consumer-')))
  // Outside the repository, so that nothing resolves through this repository's node_modules.
  expect(relative(ROOT, project).startsWith('..')).toBe(true)

  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project, ...workspacesNeeded().flatMap((dir) => ['-w', dir])], ROOT)
  if (pack.code !== 0) throw new Error(report('npm pack', pack))
  const tarballs = (JSON.parse(pack.output.slice(pack.output.indexOf('['))) as { filename: string }[]).map((t) => `./${t.filename}`)

  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'svc-consumer', private: true }, null, 2) + '\n')
  const locked = (name: string) => `${name}@${readManifest(join(ROOT, 'node_modules', name, 'package.json')).version}`
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, locked('jest'), locked('vitest')], project, INSTALL_TIMEOUT)
  if (install.code !== 0) throw new Error(report('npm install of the packed packages', install))

  // As they are in the repository, less what running them there would leave (a state directory, an install).
  const leftovers = /(?:^|[\\/])(?:\.svc|node_modules)$/
  for (const example of readdirSync(EXAMPLES)) {
    cpSync(join(EXAMPLES, example), join(project, example), { recursive: true, filter: (from) => !leftovers.test(from) })
  }
}, INSTALL_TIMEOUT + RUN_TIMEOUT)

afterAll(() => {
  for (const pid of running) killGroup(pid)
  if (project) rmSync(project, { recursive: true, force: true })
})

// --no-install: without the bin link, a bare `npx svc` would fetch an unrelated package of that name.
test('npx svc runs the packed CLI in the project, and svc validate reads a CommonJS and an ES module manifest', async () => {
  const version = await run('npx', ['--no-install', 'svc', '--version'], project)
  expect({ code: version.code, output: version.output.trim() }).toEqual({ code: 0, output: readManifest(join(ROOT, 'packages/cli/package.json')).version })
  for (const example of ['jest-cjs', 'vitest']) {
    const validate = await run('npx', ['--no-install', 'svc', '-c', `${example}/svc.config.js`, 'validate'], project)
    expect({ code: validate.code, valid: validate.output.includes('is valid: 3 services') }).toEqual({ code: 0, valid: true })
  }
}, RUN_TIMEOUT)

test.each([
  ['jest-cjs', "jest's default configuration (CommonJS)", /Tests: +2 passed, 2 total/],
  ['jest-esm', 'jest with native ES modules', /Tests: +2 passed, 2 total/],
  ['vitest', 'vitest (ES modules)', /Tests +2 passed \(2\)/],
])('docs/examples/testing/%s: npm test under %s passes its fault test, and leaves no process behind', async (example, _how, passed) => {
  const result = await run('npm', ['test'], join(project, example))
  if (result.code !== 0 || !passed.test(result.output)) throw new Error(report(`npm test in ${example}`, result))
  // The manager's watchdog (a shell in the example's folder) ends on its own just after close(): give it a moment,
  // by polling — another process's exit has no event to wait for.
  await until(() => processesIn(project).length === 0, 5000, 'the processes of the project to end').catch(() => {})
  expect(processesIn(project)).toEqual([])
}, RUN_TIMEOUT)
