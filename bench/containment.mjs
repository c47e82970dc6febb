// What the kernel container (container/containment.ts) costs a start-up: N independent services started with it
// and without it (SVC_CONTAINMENT=process-group), against N raw forks, one trial of each in turn, each side in a fresh
// process of its own (the containment is probed once per process). Alone: node bench/containment.mjs [--services N]
// [--trials N]; `npm run bench` runs it as the "containment" section.
import { spawnSync } from 'node:child_process'
import { JS_SERVICE, manager } from './core.mjs'
import { median, rawForks } from './lib.mjs'

// One start-up, measured in this process: what a child prints back.
async function once(services) {
  const spec = Object.fromEntries(Array.from({ length: services }, (_, i) => [`s${i}`, { entry: JS_SERVICE }]))
  const m = manager(spec)
  const t0 = performance.now()
  await m.start()
  const ms = performance.now() - t0
  await m.close()
  return ms
}

function trial(services, contained) {
  const env = { ...process.env }
  if (contained) delete env.SVC_CONTAINMENT
  else env.SVC_CONTAINMENT = 'process-group'
  const run = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--once', String(services)], { env, encoding: 'utf8' })
  if (run.status !== 0) throw new Error(`containment trial failed: ${run.stderr}`)
  return Number(run.stdout.trim())
}

export async function containmentCases({ trials = 7, services = 30 } = {}) {
  const raw = []
  const contained = []
  const group = []
  for (let t = 0; t < trials; t++) {
    raw.push(await rawForks(services))
    contained.push(trial(services, true))
    group.push(trial(services, false))
  }
  const label = `${services} independent services → all running`
  return [
    { case: `startup: ${label}, each in a PID and mount namespace (the default on Linux)`, framework: median(contained), baseline: median(raw), ratio: median(contained) / median(raw), unit: 'ms' },
    { case: `startup: ${label}, each in a process group only (SVC_CONTAINMENT=process-group)`, framework: median(group), baseline: median(raw), ratio: median(group) / median(raw), unit: 'ms' },
  ]
}

if (process.argv[2] === '--once') {
  process.stdout.write(String(await once(Number(process.argv[3]))))
  process.exit(0)
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  for (const r of await containmentCases({ trials: arg('--trials', 7), services: arg('--services', 30) })) {
    console.log(`| ${r.case} | ${r.framework.toFixed(0)} ms | ${r.baseline.toFixed(0)} ms | ${r.ratio.toFixed(2)}× |`)
  }
}
