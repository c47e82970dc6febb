// npm run bench [-- --quick]: runs every benchmark and writes docs/benchmarks.md.
// Every figure is a ratio against a baseline measured in the same run, on the same machine.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { clusterCases, clusterClaimCases, clusterFailoverCases, clusterServiceCases } from './cluster.mjs'
import { clusterClientCases } from './cluster-client-calls.mjs'
import { commandCases } from './commands.mjs'
import { containmentCases } from './containment.mjs'
import { callCases, memoryCases, recoveryCases, startupCases } from './core.mjs'
import { fmt, here } from './lib.mjs'
import { memoryAttackCases } from './memory-attacks.mjs'
import { metricsCases } from './metrics.mjs'
import { moleculerCases } from './moleculer.mjs'
import { pm2Cases } from './pm2.mjs'
import { readinessCases } from './readiness.mjs'
import { replicasCases, replicasSizes } from './replicas.mjs'
import { tracingCases } from './tracing.mjs'

const quick = process.argv.includes('--quick')
// apps: services per side in the PM2 comparison (the issue's 10, in both modes).
const opts = quick ? { trials: 1, count: 300, services: 10, apps: 10 } : { trials: 5, count: 5000, services: 50, apps: 10 }
const caCerts = process.env.NODE_EXTRA_CA_CERTS

const rows = []
const failures = []
const section = async (name, fn, { peer = false } = {}) => {
  process.stderr.write(`bench: ${name}…\n`)
  try {
    rows.push(...(await fn()))
  } catch (error) {
    // A peer that cannot run (not installed, port trouble) must not cost the rest of the run: say so instead.
    if (!peer) throw error
    failures.push(`${name}: ${String(error.message).split('\n')[0]}`)
    process.stderr.write(`bench: ${name} failed: ${error.stack}\n`)
  }
}
const withoutCa = (fn) => async () => (await fn()).map((r) => ({ ...r, case: r.case + ' (no NODE_EXTRA_CA_CERTS)' }))

await section('calls', () => callCases(opts))
await section('calls: Moleculer TCP', () => moleculerCases(opts), { peer: true })
await section("calls: egg's cluster-client", () => clusterClientCases('egg', opts), { peer: true })
await section('calls: our cluster-client', () => clusterClientCases('ours', opts), { peer: true })
await section('recovery', () => recoveryCases(opts))
await section('startup', () => startupCases(opts))
await section('containment', () => containmentCases({ trials: quick ? 1 : 7, services: quick ? 10 : 30 }))
await section('startup vs PM2', () => pm2Cases(opts), { peer: true })
await section('readiness', () => readinessCases({ trials: quick ? 5 : 40 }))
// PM2 is a side of most of its rows: a PM2 that cannot run is reported as a failure, not the end of the run.
await section('replicas', () => replicasCases(replicasSizes[quick ? 'quick' : 'full']), { peer: true })
await section('tracing', () => tracingCases({ trials: opts.trials, count: opts.count }))
await section('command services', () => commandCases({ trials: quick ? 1 : 7, services: 10 }), { peer: true })
// Needs NATS at NATS_URL: a missing one is reported, not the end of the run.
await section('calls across hosts (NATS)', () => clusterCases({ trials: opts.trials, count: opts.count }), { peer: true })
await section('service calls across hosts (NATS, Moleculer NATS)', () => clusterServiceCases({ trials: opts.trials, count: opts.count }), { peer: true })
await section('failover across hosts (NATS)', () => clusterFailoverCases({ trials: opts.trials }), { peer: true })
// Also needs Redis at REDIS_URL.
await section('node pool claims: Redis vs JetStream KV', () => clusterClaimCases({ trials: opts.trials, count: opts.count }), { peer: true })
await section('metrics', () => metricsCases({ trials: quick ? 2 : 30, count: quick ? 300 : 2000 }))
if (caCerts) {
  // NODE_EXTRA_CA_CERTS makes every Node start ≈3× slower: measure start-up without it as well.
  delete process.env.NODE_EXTRA_CA_CERTS
  try {
    await section('startup without NODE_EXTRA_CA_CERTS', withoutCa(() => startupCases(opts)))
    await section('startup vs PM2 without NODE_EXTRA_CA_CERTS', withoutCa(() => pm2Cases(opts)), { peer: true })
  } finally {
    process.env.NODE_EXTRA_CA_CERTS = caCerts
  }
}
await section('memory', () => memoryCases(opts))
// A fresh detached manager per trial and attack, ≈ 15 s each: at most three trials.
await section('memory attacks', () => memoryAttackCases({ trials: Math.min(opts.trials, 3) }))

// The other packages' benchmarks print their own JSON; run those that exist.
const extra = []
for (const script of ['gateway.mjs', 'nodepool.mjs', 'cluster-client.mjs', 'node-manager.mjs']) {
  if (!existsSync(here(script))) continue
  process.stderr.write(`bench: ${script}…\n`)
  try {
    const out = execFileSync(process.execPath, [here(script), '--json', ...(quick ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 300_000 })
    extra.push({ script, result: out.trim() })
  } catch (error) {
    extra.push({ script, result: `failed: ${error.message.split('\n')[0]}` })
  }
}

// Rows without a baseline print '—'; a fixed reference (e.g. a target) is labelled as such.
const baselineCell = (r) => (r.baseline == null ? '—' : `${fmt(r.baseline)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`)
const table = [
  '| case | measured | baseline | ratio |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.case} | ${fmt(r.framework)} ${r.unit} | ${baselineCell(r)} | ${r.ratio == null ? '—' : `${r.ratio.toFixed(2)}×`} |`),
].join('\n')

// services-cluster against each peer, shape by shape. Each side is first divided by its own raw one-hop baseline
// (measured alternately with it), so machine drift between the two measurements cancels out.
const peers = [...new Set(rows.filter((r) => r.peer).map((r) => r.peer))]
const ours = rows.filter((r) => r.shape && !r.peer)
const peerTable = [
  `| call shape | better | ${peers.map((p) => `services-cluster ÷ ${p}`).join(' | ')} |`,
  `| --- | --- | ${peers.map(() => '---').join(' | ')} |`,
  ...ours.map((o) => {
    const cells = peers.map((p) => {
      const r = rows.find((x) => x.peer === p && x.shape === o.shape)
      return r ? `${(o.ratio / r.ratio).toFixed(2)}×` : '—'
    })
    return `| ${o.ours ?? 'relayed'}: ${o.shape} | ${o.higherIsBetter ? 'higher' : 'lower'} | ${cells.join(' | ')} |`
  }),
].join('\n')

console.log(`NODE_EXTRA_CA_CERTS ${caCerts ? 'is set: start-up cases ran with it and again without it' : 'is not set'}.\n`)
console.log(table)
if (peers.length) console.log(`\nservices-cluster vs peers (calls):\n\n${peerTable}`)
for (const f of failures) console.log(`\nfailed: ${f}`)
if (!quick) {
  const doc = `# Benchmarks

Generated by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}),
Node ${process.version}. NODE_EXTRA_CA_CERTS was ${caCerts ? 'set (start-up is also measured without it)' : 'not set'}.
Each figure is the median of ${opts.trials} alternating trials; each ratio compares with a baseline measured in the same
run (these machines are shared: absolute numbers drift, ratios much less). Latency ratios: lower is better;
throughput ratios: higher is better. Every *calls* measurement, of every side, first makes the same calls untimed,
so that both ends are measured warm (a freshly forked baseline child is 2–4× slower for small pipelined calls over
its first few thousand calls), and every side's call resolves with the echoed payload, checked once before timing
(a caller that throws the reply away is spared keeping it: 14–17 % of the raw ping-pong's throughput for 64 KiB
replies, 128 in flight).

Baselines: *calls* — a raw \`child_process.fork\` one-hop JSON ping-pong (parent ⇄ child) with the same payload and
concurrency; the measured figure is a relayed call (service → manager → service → manager → service), measured
inside the calling service. *calls, minimal IPC relay* and *minimal byte-forwarding relay* (references, not
services-cluster) — the same loop between two bare children through a bare relay process that re-tags each call's id
like a router: over Node's JSON IPC (the relay parses and re-serialises every payload), and over length-prefixed
frames on a pipe (the relay reads a small JSON header and passes the payload on as bytes; each process hands the
frames of a tick to its socket together, at the tick's end): what a straightforward relay costs on this machine, not
a floor (services-cluster passes it for small pipelined calls: it hands the first frame of a tick on at once and the
rest every 32, and calls have binary headers). *calls, direct channel* — the same loop with \`direct: true\` on the called service (after
the first call, caller and callee talk over a Unix socket the manager brokered, in the frames of the manager's pipe);
its own floor, *vs raw Unix socket*,
is the same ping-pong between two bare processes over a Unix socket, newline-delimited JSON, client in a child of its
own. Start-up, recovery and memory use the echo service compiled to JavaScript (\`echo.mjs\`, what production runs);
rows that say *TypeScript (jiti)* load \`echo.ts\` through jiti in each process. Rows ending in a peer's name measure that peer against the same kind of baseline, each
inside its calling process: *Moleculer TCP* — Moleculer 0.14 with two brokers in two child processes, TCP
transporter on loopback (static URLs, no UDP discovery, JSON serializer), an \`echo\` action; *egg's cluster-client* —
cluster-client 3 from npm (the peer the issue names), a follower invoking an in-memory echo through the leader, two
child processes over loopback, its default serialize-json transcode; *our cluster-client* — the same with
\`@services-cluster/cluster-client\`, for reference. *recovery* and
*startup* — forking bare Node children until each sends one IPC message: one for recovery (the issue's baseline), and
for reference three at once, the processes a cascade in the recovery graph (one dependency, two dependents) replaces;
crash detection also against the time from a bare child's SIGKILL to its \`exit\` event in the parent (the kernel
tearing the process down), its floor.
The bare child is an ES-module file, like the services; a reference row compares it with a CommonJS one. *manager's worst event-loop stall* — the
largest \`monitorEventLoopDelay\` (1 ms resolution) delay while \`start()\` runs, median over trials, against the
issue's absolute target of 25 ms (ratio ≤ 1 meets it); the monitor runs one 10 ms turn before the case, since it
records nothing for its first interval (a case's synchronous part would go unseen). The raw concurrent fork's own
stall is printed for reference, without a baseline: its fork loop is synchronous. The 50-service rows fork through a
spawner process (the default above 16 services); rows that say *spawner: false* fork every service process in the
manager itself, one per turn of its event loop, as the 10-service (PM2) and recovery cases do by default
(docs/supervision.md). *startup vs PM2* — PM2 7 programmatic API, the apps started as one ecosystem with
\`wait_ready\` (each app calls \`process.send('ready')\`; PM2's defaults otherwise, e.g. 2 concurrent actions),
timed from the start call to its answer, with its daemon (own temp \`PM2_HOME\`) spawned before timing; the same
trials also fork ${opts.apps} bare children for reference. *memory* — a bare Node child with an IPC channel; for the
manager, a bare Node parent holding as many forked children with IPC channels (both in fresh processes, RSS after a
full GC); *manager + spawner* adds the spawner process's RSS, most of which is the Node binary's pages, shared with
the manager and every service. *memory attack* — the peak RSS of a detached manager (\`svc up --detach\`, VmHWM reset
before the attack and VmRSS sampled every 5 ms) while it is attacked, against the same manager's idle RSS just before;
each attack's second row is the growth over idle against the issue's allowance of 64 MiB (ratio ≤ 1 meets it). See
*Memory under attack* below (\`bench/memory-attacks.mjs\`; \`node bench/memory-attacks.mjs\` runs it alone).

${table}

## services-cluster vs peers

Each cell is services-cluster's ratio to the raw one-hop baseline divided by the peer's ratio to the raw one-hop
baseline (each measured alternately with its own baseline, so drift between the two cancels out). Throughput: above
1 means services-cluster is faster; latency: below 1 means services-cluster is faster. Targets (issue #8):
small-call throughput ≥ 1.3× Moleculer TCP and ≥ 2.5× egg's cluster-client.

${peerTable}
${failures.length ? `\n## Cases that failed\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
${existsSync(here('targets.md')) ? readFileSync(here('targets.md'), 'utf8') : ''}
${existsSync(here('memory-attacks.md')) ? readFileSync(here('memory-attacks.md'), 'utf8') : ''}
${existsSync(here('containment.md')) ? readFileSync(here('containment.md'), 'utf8') : ''}
${existsSync(here('readiness.md')) ? readFileSync(here('readiness.md'), 'utf8') : ''}
${existsSync(here('replicas.md')) ? readFileSync(here('replicas.md'), 'utf8') : ''}
${existsSync(here('commands.md')) ? readFileSync(here('commands.md'), 'utf8') : ''}
${existsSync(here('tracing.md')) ? readFileSync(here('tracing.md'), 'utf8') : ''}
${existsSync(here('metrics.md')) ? readFileSync(here('metrics.md'), 'utf8') : ''}
${existsSync(here('cluster.md')) ? readFileSync(here('cluster.md'), 'utf8') : ''}
## Other packages

${extra.map((e) => `- \`bench/${e.script}\`: \`${e.result.replace(/\n/g, ' ')}\``).join('\n')}
`
  writeFileSync(here('../docs/benchmarks.md'), doc)
  process.stderr.write('bench: wrote docs/benchmarks.md\n')
}
