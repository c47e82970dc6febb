// Multi-host proof: three OS processes on this machine, each a ServicesManager (the compiled core) running the
// same manifest — a recorder service and the scheduler, `cluster: { redis, name }` — act as three hosts. Four
// tasks are due every 200 ms; each run calls recorder.record with its slot and fencing token (call.withRun),
// which appends it to a Redis list. Checks: in a steady window every (task, slot) ran exactly once; after
// kill -9 of a host's manager, no (task, slot) ran twice and no task lost slots for longer than the bound
// derived from the pool's configuration (docs/cluster.md).

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { ClusterStatus } from '../src/cluster.js'
import { REDIS_URL, connectRedis, deletePoolKeys, redisForTests, uniqueName, waitFor, type RedisClient } from './helpers/redis.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/cluster-host.mjs', import.meta.url))
const BUILT = ['../dist/index.js', '../../core/dist/index.js', '../../nodepool/dist/index.js'].map((p) => fileURLToPath(new URL(p, import.meta.url)))

// The configuration every host runs with; the bounds below are derived from it.
const P = 200 // every task is due every P ms
const H = 100 // heartbeatMs
const TTL = 600 // ttlMs
const S = 500 // stableMs (maxClaimLatenessMs defaults to S / 2 = 250 ms: a tick may be that late)
/**
 * What no configuration controls: timer lateness, process scheduling and Redis round trips on a 2-core
 * machine shared with the rest of the suite (three managers, six services, three watchdogs here alone).
 */
const NOISE = 1000
/**
 * Longest stretch of lost slots for a task when a host dies: its key lives TTL after its last renewal, the
 * survivors see it gone at their next heartbeat (H), turn steady at the first heartbeat sent S after that
 * (S + H), and run the next slot (P). See docs/cluster.md, "Failover time".
 */
const HOST_LOSS_BOUND_MS = TTL + 2 * H + S + P + NOISE
const TASKS = ['beat-0', 'beat-1', 'beat-2', 'beat-3']
const HOSTS = ['host-a', 'host-b', 'host-c']

interface Rec {
  task: string
  slot: number
  token: number
  host: string
  at: number
}

class Host {
  readonly exited: Promise<void>
  pids: Record<string, number> = {}
  stderr = ''
  readonly #waiting: ((msg: Record<string, unknown>) => boolean)[] = []

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()))
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as Record<string, unknown>
      const i = this.#waiting.findIndex((accept) => accept(msg))
      if (i !== -1) this.#waiting.splice(i, 1)
    })
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  // The next stdout message that has `key`; rejects if the process exits first.
  next<T>(key: string, timeoutMs = 20_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${key}" within ${timeoutMs} ms\n${this.stderr}`)), timeoutMs)
      const onExit = () => reject(new Error(`${this.name} exited before "${key}"\n${this.stderr}`))
      this.child.once('exit', onExit)
      this.#waiting.push((msg) => {
        if (!(key in msg)) return false
        clearTimeout(timer)
        this.child.off('exit', onExit)
        resolve(msg[key] as T)
        return true
      })
    })
  }

  async status(): Promise<ClusterStatus> {
    const answer = this.next<ClusterStatus | null>('status', 5_000)
    this.child.stdin!.write('status\n')
    const status = await answer
    if (status === null) throw new Error(`${this.name}: clusterStatus() failed`)
    return status
  }
}

const describeRedis = (await redisForTests('the scheduler cluster-mode tests')) ? describe : describe.skip

describeRedis('scheduler cluster mode: three managers as three hosts on real Redis (tasks every 200 ms)', () => {
  const clusterName = uniqueName('cluster')
  const pool = `${clusterName}/scheduler`
  const recordKey = `scheduler-test:records:${clusterName}`
  const dirs: string[] = []
  const hosts: Host[] = []
  let client: RedisClient
  let windowEnd = 0

  async function records(): Promise<Rec[]> {
    return (await client.lRange(recordKey, 0, -1)).map((s) => JSON.parse(s) as Rec)
  }

  // Every listed host is steady, sees exactly the listed hosts' node ids, and is not fenced.
  async function steadyWith(live: Host[]): Promise<ClusterStatus[] | false> {
    const statuses = await Promise.all(live.map((h) => h.status()))
    const ids = statuses.map((s) => s.nodeId).sort().join(',')
    return statuses.every((s) => s.state === 'steady' && s.members.join(',') === ids) && statuses
  }

  // Resolves once every task has a record with a slot after `slot` (so every run up to `slot` has ended).
  function recordedPast(slot: number): () => Promise<Rec[] | false> {
    return async () => {
      const recs = await records()
      return TASKS.every((task) => recs.some((r) => r.task === task && r.slot > slot)) && recs
    }
  }

  function spawnHost(name: string): Host {
    const stateDir = mkdtempSync(join(tmpdir(), `svc-sched-${name}-`))
    dirs.push(stateDir)
    const cfg = {
      host: name,
      redis: REDIS_URL,
      clusterName,
      recordKey,
      stateDir,
      pool: { heartbeatMs: H, ttlMs: TTL, stableMs: S },
      tasks: TASKS.map((task) => ({ name: task, every: P, call: { service: 'recorder', method: 'record', withRun: true }, timeoutMs: 5_000 })),
    }
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] })
    const host = new Host(name, child)
    hosts.push(host)
    return host
  }

  beforeAll(async () => {
    for (const file of BUILT) if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx tsc -b\` first`)
    client = await connectRedis()
    const started = HOSTS.map(spawnHost)
    const ready = started.map((h) => h.next<Record<string, number>>('pids', 30_000))
    for (const [i, host] of started.entries()) host.pids = await ready[i]!
  }, 60_000)

  afterAll(async () => {
    // Graceful close first (deregisters, closes Redis); then make sure: the manager, then every service group.
    for (const h of hosts) if (h.alive) h.child.stdin!.end('close\n')
    let timer: NodeJS.Timeout | undefined
    await Promise.race([Promise.all(hosts.map((h) => h.exited)), new Promise((r) => (timer = setTimeout(r, 10_000)))])
    clearTimeout(timer)
    for (const h of hosts) {
      if (h.alive) h.child.kill('SIGKILL')
      for (const pid of Object.values(h.pids)) {
        try {
          process.kill(-pid, 'SIGKILL')
        } catch {}
      }
      await h.exited
    }
    if (client) {
      await deletePoolKeys(client, pool, [recordKey])
      await client.close()
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }, 60_000)

  test('every slot in a steady window runs exactly once, on one host, with increasing fencing tokens', async () => {
    const statuses = await waitFor('three steady hosts that see each other', () => steadyWith(hosts), 30_000)
    expect(new Set(statuses.map((s) => s.nodeId)).size).toBe(3)
    expect(statuses[0]).toMatchObject({ enabled: true, pool, timing: { heartbeatMs: H, ttlMs: TTL, stableMs: S, maxClaimLatenessMs: S / 2 } })

    const from = Math.floor(Date.now() / P) + 1
    const to = from + 15 // 3 s of slots
    const recs = await waitFor(`runs past slot ${to}`, recordedPast(to), 15_000)
    windowEnd = to
    for (const task of TASKS) {
      const mine = recs.filter((r) => r.task === task && r.slot >= from && r.slot <= to).sort((a, b) => a.slot - b.slot)
      expect(mine.map((r) => r.slot)).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i))
      expect(new Set(mine.map((r) => r.host)).size).toBe(1) // steady ring: one owner per task
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.token).toBeGreaterThan(mine[i - 1]!.token)
    }
  }, 60_000)

  // Kills `victim` (the host that ran beat-0 last), waits until the survivors are steady and ran a few more
  // slots, then checks every record so far: no (task, slot) twice, and no loss longer than the bound since
  // the previous phase.
  async function killAndCheck(kill: (victim: Host) => void, label: string): Promise<void> {
    expect(windowEnd).toBeGreaterThan(0) // the previous phase left a steady cluster
    const before = await records()
    const lastRunOf = (task: string) => before.filter((r) => r.task === task).sort((a, b) => b.slot - a.slot)[0]
    const victim = hosts.find((h) => h.name === lastRunOf('beat-0')!.host)!
    const victimTasks = TASKS.filter((task) => lastRunOf(task)?.host === victim.name)
    const killSlot = Math.floor(Date.now() / P)
    kill(victim)
    await victim.exited

    const survivors = hosts.filter((h) => h.alive)
    await waitFor('the survivors steady without the victim', () => steadyWith(survivors), 30_000)
    const end = Math.floor(Date.now() / P) + 5
    const recs = await waitFor(`runs past slot ${end}`, recordedPast(end), 15_000)

    const seen = new Map<string, Rec[]>()
    for (const r of recs) seen.set(`${r.task}@${r.slot}`, [...(seen.get(`${r.task}@${r.slot}`) ?? []), r])
    const doubled = [...seen].filter(([, rs]) => rs.length > 1).map(([k, rs]) => `${k}: ${rs.map((r) => `${r.host}#${r.token}`).join(' ')}`)
    expect(doubled).toEqual([])

    const lost: Record<string, number> = {}
    for (const task of TASKS) {
      let run = 0
      let worst = 0
      for (let slot = windowEnd; slot <= end; slot++) {
        if (seen.has(`${task}@${slot}`)) run = 0
        else worst = Math.max(worst, ++run)
      }
      lost[task] = worst * P
    }
    process.stderr.write(`scheduler cluster-mode: ${label} of ${victim.name} (ran ${victimTasks.join(', ')}): longest loss per task ${JSON.stringify(lost)} ms, bound ${HOST_LOSS_BOUND_MS} ms\n`)
    expect(Object.entries(lost).filter(([, ms]) => ms > HOST_LOSS_BOUND_MS)).toEqual([])
    // The victim's tasks really moved to survivors, and the victim ran nothing once its registration expired.
    for (const task of victimTasks) expect(recs.some((r) => r.task === task && r.slot > killSlot && r.host !== victim.name)).toBe(true)
    expect(recs.filter((r) => r.host === victim.name && r.slot > killSlot + Math.ceil(TTL / P))).toEqual([])
    windowEnd = end
  }

  test('kill -9 of a manager (its services then close or are killed by the watchdog): tasks move, no slot twice, loss within the bound', async () => {
    await killAndCheck((victim) => victim.child.kill('SIGKILL'), 'kill -9 of the manager')
  }, 60_000)

  test('kill -9 of a whole host (scheduler first, so it cannot deregister): tasks move within TTL + 2 heartbeats + stable + period', async () => {
    await killAndCheck((victim) => {
      for (const pid of [victim.pids['scheduler']!, ...Object.values(victim.pids), victim.child.pid!]) {
        try {
          process.kill(-pid, 'SIGKILL') // services lead their own process groups
        } catch {}
        try {
          process.kill(pid, 'SIGKILL')
        } catch {}
      }
    }, 'kill -9 of every process')
  }, 60_000)
})
