// Start-up against PM2 7 (programmatic API, wait_ready), alternating trials, baselines in the same run:
//   services-cluster starting `apps` trivial services (fixtures/echo.mjs) until all are running, vs PM2 starting
//   `apps` trivial apps (fixtures/pm2-app.cjs, which calls process.send('ready')) as one ecosystem with
//   wait_ready until its start call answers (every app ready and online; PM2's defaults otherwise, e.g. 2
//   concurrent actions), vs forking `apps` bare Node children concurrently until each sends one message.
// PM2 runs in a helper process (fixtures/pm2-driver.mjs) with PM2_HOME in a fresh temp dir, so it connects to a
// daemon of its own (spawned before timing starts), never the user's. Afterwards: pm2.kill(), then any process
// still carrying that PM2_HOME is SIGKILLed and the temp dir removed — also when a trial throws.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { manager } from './core.mjs'
import { forkHelper, here, median, rawForks } from './lib.mjs'

export async function pm2Cases({ trials, apps = 10 }) {
  const services = Object.fromEntries(Array.from({ length: apps }, (_, i) => [`s${i}`, { entry: './echo.mjs' }]))
  const home = mkdtempSync(join(tmpdir(), 'svc-bench-pm2-'))
  // The environment as given (NODE_EXTRA_CA_CERTS included or not), minus the user's PM2 settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PM2_|^pm_/i.test(k)))
  const driver = forkHelper(here('./fixtures/pm2-driver.mjs'), [], { env: { ...env, PM2_HOME: home } })
  const raw = []
  const fw = []
  const pm2 = []
  try {
    await driver.ready
    for (let t = 0; t < trials; t++) {
      raw.push(await rawForks(apps))
      const m = manager(services)
      try {
        const t0 = performance.now()
        await m.start()
        fw.push(performance.now() - t0)
      } finally {
        await m.close()
      }
      pm2.push(await driver.request('start', apps))
    }
  } finally {
    await driver.close()
    const left = reapPm2(home)
    rmSync(home, { recursive: true, force: true })
    if (left.length) process.stderr.write(`bench: pm2 left ${left.length} process(es) behind (${left.join(', ')}): SIGKILLed\n`)
  }
  const [f, p, r] = [median(fw), median(pm2), median(raw)]
  return [
    { case: `startup vs PM2: ${apps} services → all running, vs PM2 wait_ready`, framework: f, baseline: p, ratio: f / p, unit: 'ms' },
    { case: `startup vs PM2: PM2 wait_ready, ${apps} apps → all online, vs raw fork of ${apps}`, framework: p, baseline: r, ratio: p / r, unit: 'ms' },
    { case: `startup vs PM2: ${apps} services → all running, vs raw fork of ${apps}`, framework: f, baseline: r, ratio: f / r, unit: 'ms' },
  ]
}

/** SIGKILLs every process PM2 started for `home` that is still alive (daemon, apps); returns their pids. */
export function reapPm2(home) {
  const pids = new Set()
  const pidFile = (f) => {
    const pid = Number(readFileSync(f, 'utf8').trim())
    if (Number.isInteger(pid) && pid > 0) pids.add(pid)
  }
  for (const f of [join(home, 'pm2.pid'), join(home, 'agent.pid')]) try { pidFile(f) } catch {}
  try { for (const f of readdirSync(join(home, 'pids'))) pidFile(join(home, 'pids', f)) } catch {}
  // Also anything whose environment names this PM2_HOME (the daemon and its apps inherit it): Linux only.
  const mark = `PM2_HOME=${home}\0`
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d) || Number(d) === process.pid) continue
      try { if ((readFileSync(`/proc/${d}/environ`, 'latin1') + '\0').includes(mark)) pids.add(Number(d)) } catch {}
    }
  } catch {}
  const killed = []
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
      killed.push(pid)
    } catch {} // already gone
  }
  return killed
}
