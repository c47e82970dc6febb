// The manager's RSS under each memory attack (issue 21), against the same manager idle, in the same run.
// Each trial starts a real detached manager (`svc up --detach`) on a tiny manifest, reads its idle RSS, resets its
// high-water mark, runs one attack, and reads the peak (VmHWM, and VmRSS sampled every 5 ms, whichever is higher).
//   log flood          a service prints 300 MB of 100-byte lines as fast as its pipe takes them: with no control
//                      client, and with a `svc logs -f` client that never reads its socket
//   unread channel     a service blocks its event loop; another fires 1000 calls of 100 KiB at it (the manager
//                      refuses them with SVC_ERR_OVERLOADED past 64 MiB queued for one target)
//   newline-free bytes a control client writes without a newline and never reads, until the manager hangs up (it
//                      refuses the line after 1 MiB and destroys the connection a second later; at most 1 GiB)
// Target: peak ≤ idle + 64 MiB. Alone: node bench/memory-attacks.mjs [--trials N] [--attack name] [--flood-mb N]
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlClient } from '../packages/cli/dist/control/client.js'
import { fmt, here, median } from './lib.mjs'

const MiB = 2 ** 20
export const ALLOWANCE_MIB = 64
// What the newline-free client writes at most, unless the manager hangs up first.
const NEWLINE_FREE_CAP = 1024 * MiB
const BIN = here('../packages/cli/dist/bin.js')
const fixture = (name) => JSON.stringify(here(`./fixtures/${name}`))
const MANIFEST = `export default {
  services: {
    flood: { entry: ${fixture('flood.mjs')} },
    blocker: { entry: ${fixture('blocker.mjs')}, stopTimeoutMs: 500, killTimeoutMs: 500 },
    caller: { entry: ${fixture('overload-caller.mjs')}, dependsOn: ['blocker'] },
  },
}
`

const status = (pid) => readFileSync(`/proc/${pid}/status`, 'utf8')
const field = (text, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)[1]) * 1024
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A detached manager in a fresh project directory; `stop()` downs it and removes the directory. */
async function startManager() {
  const dir = mkdtempSync(join(tmpdir(), 'svc-memattack-'))
  writeFileSync(join(dir, 'svc.config.mjs'), MANIFEST)
  const env = { ...process.env, NO_COLOR: '1' }
  delete env.NODE_OPTIONS // the bench's own flags are not the manager's
  if (process.env.SVC_BENCH_MANAGER_NODE_OPTIONS) env.NODE_OPTIONS = process.env.SVC_BENCH_MANAGER_NODE_OPTIONS // probes
  const out = await new Promise((resolve, reject) =>
    execFile(process.execPath, [BIN, 'up', '--detach', '--json'], { cwd: dir, env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`svc up failed: ${stderr || error.message}`)) : resolve(stdout),
    ),
  )
  const { pid, socket } = JSON.parse(out)
  const client = await ControlClient.connect(socket)
  return {
    pid,
    socket,
    client,
    call: (service, method, args = []) => client.request('call', { service, method, args }, { timeoutMs: 60_000 }),
    async stop() {
      try {
        await client.request('down', {}, { timeoutMs: 30_000 })
      } catch {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
      client.close()
      for (let i = 0; i < 100 && alive(pid); i++) await sleep(50)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Idle RSS: the median of ten samples over a second, once the manager has settled after start-up. */
async function idleRss(pid) {
  await sleep(1000)
  const samples = []
  for (let i = 0; i < 10; i++) {
    samples.push(field(status(pid), 'VmRSS'))
    await sleep(100)
  }
  return median(samples)
}

/** Runs `attack` and returns the manager's peak RSS meanwhile: VmHWM reset before (clear_refs 5), VmRSS sampled. */
async function peakDuring(pid, attack) {
  let resetHwm = true
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
  } catch {
    resetHwm = false // an older kernel: the sampled peak only
  }
  let sampled = 0
  const sampler = setInterval(() => {
    try {
      sampled = Math.max(sampled, field(status(pid), 'VmRSS'))
    } catch {}
  }, 5)
  try {
    const facts = await attack()
    const hwm = resetHwm ? field(status(pid), 'VmHWM') : 0
    return { peak: Math.max(hwm, sampled), facts }
  } finally {
    clearInterval(sampler)
  }
}

async function waitFor(test, what, timeoutMs = 120_000) {
  const t0 = Date.now()
  for (;;) {
    const value = await test()
    if (value) return value
    if (Date.now() - t0 > timeoutMs) throw new Error(`memory attacks: timed out waiting for ${what}`)
    await sleep(100)
  }
}

/** A `svc logs -f` client that stops reading once subscribed: its socket fills, then the manager's queue for it. */
async function stalledLogReader(socketPath) {
  const socket = connect(socketPath)
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'hello', params: { protocol: 1 } }) + '\n')
  socket.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'logs', params: { follow: true, limit: 0 } }) + '\n')
  // No 'data' listener: nothing is read from the socket, ever.
  return socket
}

export const ATTACKS = {
  'log flood': (floodMb) => async (m) => {
    await m.call('flood', 'start', [floodMb * 1e6])
    await waitFor(async () => (await m.call('flood', 'progress')).done, 'the flood to end')
    return `${floodMb} MB printed`
  },
  'log flood, stalled reader': (floodMb) => async (m) => {
    const reader = await stalledLogReader(m.socket)
    const closed = new Promise((resolve) => reader.once('close', () => resolve('disconnected')))
    try {
      await m.call('flood', 'start', [floodMb * 1e6])
      await waitFor(async () => (await m.call('flood', 'progress')).done, 'the flood to end')
      const end = await Promise.race([closed, sleep(200).then(() => 'still connected')])
      return `${floodMb} MB printed; the reader was ${end}`
    } finally {
      reader.destroy()
    }
  },
  'unread channel': () => async (m) => {
    await m.call('blocker', 'block')
    await sleep(100)
    await m.call('caller', 'run', [1000, 100 * 1024])
    // Refusals settle at once; what was queued stays pending: wait until the counts stop moving.
    let last = ''
    let still = 0
    const stats = await waitFor(async () => {
      const s = await m.call('caller', 'stats')
      const now = JSON.stringify(s)
      still = now === last && s.refused + s.failed > 0 ? still + 1 : 0
      last = now
      return still >= 10 ? s : null
    }, 'the calls to settle')
    return `${stats.sent} calls of 100 KiB, ${stats.refused} refused SVC_ERR_OVERLOADED, ${stats.failed} failed otherwise`
  },
  'newline-free bytes': () => async (m) => {
    const socket = connect(m.socket)
    socket.on('error', () => {})
    await new Promise((resolve) => socket.once('connect', resolve))
    // It never reads (so it never sees the refusal) and goes on writing until the manager hangs up.
    let written = 0
    const closed = new Promise((resolve) => socket.once('close', () => resolve(true)))
    let gone = false
    void closed.then(() => (gone = true))
    const chunk = Buffer.alloc(MiB, 'x')
    while (!gone && written < NEWLINE_FREE_CAP) {
      const flushed = socket.write(chunk)
      written += MiB
      if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed])
    }
    gone = await Promise.race([closed, sleep(3000).then(() => false)])
    socket.destroy()
    return `${written / MiB} MiB handed to the socket, ${gone ? 'then disconnected' : 'still connected 3 s later'}`
  },
}

const LABELS = {
  'log flood': (mb) => `a service printing ${mb} MB of log lines, no control client`,
  'log flood, stalled reader': (mb) => `a service printing ${mb} MB of log lines, a \`svc logs -f\` client that never reads`,
  'unread channel': () => 'a service that never reads its channel, 1000 calls of 100 KiB to it',
  'newline-free bytes': () => 'a control client writing without a newline until cut off, never reading',
}

export async function memoryAttackCases({ trials = 1, floodMb = 300, only = null, log = () => {} } = {}) {
  const rows = []
  for (const name of Object.keys(ATTACKS)) {
    if (only && name !== only) continue
    const [idle, peak, growth] = [[], [], []]
    for (let t = 0; t < trials; t++) {
      const m = await startManager()
      try {
        const base = await idleRss(m.pid)
        const { peak: top, facts } = await peakDuring(m.pid, () => ATTACKS[name](floodMb)(m))
        log(`${name}: idle ${fmt(base / MiB)} MiB, peak ${fmt(top / MiB)} MiB (${facts})`)
        idle.push(base)
        peak.push(top)
        growth.push(top - base)
      } finally {
        await m.stop()
      }
    }
    const label = `memory attack: manager peak RSS, ${LABELS[name](floodMb)}`
    rows.push({ case: `${label}, vs the same manager idle`, framework: median(peak) / MiB, baseline: median(idle) / MiB, ratio: median(peak) / median(idle), unit: 'MiB' })
    const over = median(growth) / MiB
    rows.push({ case: `${label}: growth over idle, vs the 64 MiB allowance`, framework: over, baseline: ALLOWANCE_MIB, baselineLabel: 'target', ratio: over / ALLOWANCE_MIB, unit: 'MiB' })
  }
  return rows
}

if (process.argv[1] === here('./memory-attacks.mjs')) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name)
    return i === -1 ? fallback : process.argv[i + 1]
  }
  const rows = await memoryAttackCases({
    trials: Number(arg('--trials', 1)),
    floodMb: Number(arg('--flood-mb', 300)),
    only: arg('--attack', null),
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  })
  const cell = (r) => `${fmt(r.baseline)} ${r.unit}${r.baselineLabel ? ` (${r.baselineLabel})` : ''}`
  console.log('| case | measured | baseline | ratio |\n| --- | --- | --- | --- |')
  for (const r of rows) console.log(`| ${r.case} | ${fmt(r.framework)} ${r.unit} | ${cell(r)} | ${r.ratio.toFixed(2)}× |`)
}
