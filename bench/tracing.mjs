// What trace context costs relayed small calls (issue 26): the same caller → manager → echo loop with no
// OpenTelemetry SDK in the services (the default: a service pays one property lookup per call) and with one that
// records every span (remote/tracing.ts: one SERVER span per call served, the traceparent in every request), trials
// alternating in one run. Alone: node bench/tracing.mjs [--trials N] [--count N]; `npm run bench` runs it as the
// "tracing" section.
import { manager } from './core.mjs'
import { here, median } from './lib.mjs'

const SHAPES = [
  ['64 B, 1 in flight', 64, 1],
  ['64 B, 32 in flight', 64, 32],
]

export async function tracingCases({ trials = 5, count = 5000 } = {}) {
  const sdk = { nodeArgs: ['--import', here('./fixtures/otel-setup.mjs')] }
  const off = manager({ echo: { entry: './echo.ts' }, caller: { entry: './caller.ts', dependsOn: ['echo'] } })
  const on = manager({ echo: { entry: './echo.ts', ...sdk }, caller: { entry: './caller.ts', dependsOn: ['echo'], ...sdk } })
  await off.start()
  await on.start()
  const rows = []
  try {
    for (const [label, bytes, inflight] of SHAPES) {
      const [without, withSdk] = [[], []]
      for (let t = 0; t < trials; t++) {
        without.push((await off.call('caller', 'run', count, bytes, inflight)).rps)
        withSdk.push((await on.call('caller', 'run', count, bytes, inflight)).rps)
      }
      rows.push({
        case: `tracing: relayed calls ${label}, every span recorded by an OpenTelemetry SDK — round trips/s, against no SDK`,
        framework: median(withSdk),
        baseline: median(without),
        ratio: median(withSdk) / median(without),
        unit: '/s',
        higherIsBetter: true,
      })
    }
  } finally {
    await off.close()
    await on.close()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  for (const r of await tracingCases({ trials: arg('--trials', 5), count: arg('--count', 5000) })) {
    console.log(`| ${r.case} | ${r.framework.toFixed(0)} | ${r.baseline.toFixed(0)} | ${r.ratio.toFixed(2)}× |`)
  }
}
