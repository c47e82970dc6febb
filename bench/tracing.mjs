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

const graph = (setup, off = false) => {
  const sdk = { ...(setup && { nodeArgs: ['--import', here(setup)] }), ...(off && { env: { SVC_TRACING: 'off' } }) }
  return manager({ echo: { entry: './echo.ts', ...sdk }, caller: { entry: './caller.ts', dependsOn: ['echo'], ...sdk } })
}

export async function tracingCases({ trials = 5, count = 5000 } = {}) {
  const sides = [
    ['no SDK', graph(null)],
    ['an SDK that samples nothing (trace context only)', graph('./fixtures/otel-setup-unsampled.mjs')],
    ['an SDK that records every span', graph('./fixtures/otel-setup.mjs')],
    // The same SDKs with the framework's trace context off (SVC_TRACING=off): what services-cluster itself costs.
    ['an SDK that samples nothing, services-cluster tracing off', graph('./fixtures/otel-setup-unsampled.mjs', true)],
    ['an SDK that records every span, services-cluster tracing off', graph('./fixtures/otel-setup.mjs', true)],
  ]
  for (const [, m] of sides) await m.start()
  const rows = []
  try {
    for (const [label, bytes, inflight] of SHAPES) {
      const results = sides.map(() => [])
      for (let t = 0; t < trials; t++) {
        for (const [i, [, m]] of sides.entries()) results[i].push((await m.call('caller', 'run', count, bytes, inflight)).rps)
      }
      for (const i of [1, 2]) {
        rows.push({
          case: `tracing: relayed calls ${label}, with ${sides[i][0]} — round trips/s, against no SDK`,
          framework: median(results[i]),
          baseline: median(results[0]),
          ratio: median(results[i]) / median(results[0]),
          unit: '/s',
          higherIsBetter: true,
        })
      }
      // services-cluster's own share: trace context on against off, the same SDK in both (issue 26's ≤ 5 %).
      for (const [on, off] of [[1, 3], [2, 4]]) {
        rows.push({
          case: `tracing: relayed calls ${label}, with ${sides[on][0]} — round trips/s, services-cluster's trace context on against off`,
          framework: median(results[on]),
          baseline: median(results[off]),
          ratio: median(results[on]) / median(results[off]),
          unit: '/s',
          higherIsBetter: true,
        })
      }
    }
  } finally {
    for (const [, m] of sides) await m.close()
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback)
  for (const r of await tracingCases({ trials: arg('--trials', 5), count: arg('--count', 5000) })) {
    console.log(`| ${r.case} | ${r.framework.toFixed(0)} | ${r.baseline.toFixed(0)} | ${r.ratio.toFixed(2)}× |`)
  }
}
