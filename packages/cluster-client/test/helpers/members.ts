// Spawns test/fixtures/member.mjs processes and drives them over IPC; every wait is on an event, not a timer.

import { fork, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'member.mjs')

export interface Reply {
  ok: boolean
  value?: any
  error?: { message: string; code?: string; retryable?: boolean }
}

export interface MemberEvent {
  event: string
  pid: number
  [k: string]: any
}

export class Member {
  readonly events: MemberEvent[] = []
  readonly exited: Promise<void>
  private readonly replies = new Map<number, (r: Reply) => void>()
  private readonly watchers = new Set<() => void>()
  private nextId = 1

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: any) => {
      if (m.event) {
        this.events.push(m)
        for (const w of [...this.watchers]) w()
      } else this.replies.get(m.id)?.(m)
    })
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()))
  }

  get pid(): number {
    return this.child.pid!
  }

  static async spawn(): Promise<Member> {
    const env = { ...process.env }
    delete env.NODE_EXTRA_CA_CERTS // triples Node start-up time, and nothing here uses TLS
    const child = fork(FIXTURE, [], { execArgv: [], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const m = new Member(child)
    await m.waitEvent((e) => e.event === 'up', 15_000)
    return m
  }

  /** Sends a command; resolves with its reply (never rejects on a command error). */
  send(cmd: string, payload: Record<string, unknown> = {}): Promise<Reply> {
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.replies.set(id, resolve)
      this.exited.then(() => reject(new Error(`member ${this.pid} exited before answering "${cmd}"`)))
      this.child.send({ id, cmd, ...payload })
    })
  }

  /** Like send(), but throws when the command failed. */
  async call(cmd: string, payload: Record<string, unknown> = {}): Promise<any> {
    const r = await this.send(cmd, payload)
    if (!r.ok) throw Object.assign(new Error(`${cmd} failed in ${this.pid}: ${r.error?.message}`), r.error)
    return r.value
  }

  /** The first event (already seen or to come) matching `pred`. */
  waitEvent(pred: (e: MemberEvent) => boolean, timeoutMs = 10_000, from = 0): Promise<MemberEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(from).find(pred)
        if (!hit) return false
        clearTimeout(timer)
        this.watchers.delete(watcher)
        resolve(hit)
        return true
      }
      const watcher = () => void check()
      const timer = setTimeout(() => {
        this.watchers.delete(watcher)
        reject(new Error(`member ${this.pid}: no matching event within ${timeoutMs} ms; saw ${JSON.stringify(this.events)}`))
      }, timeoutMs)
      if (!check()) this.watchers.add(watcher)
    })
  }

  dataFor(topic: string): unknown[] {
    return this.events.filter((e) => e.event === 'data' && e.topic === topic).map((e) => e.value)
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal)
    await this.exited
  }
}

export async function killAll(members: Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.kill()))
}

/** A port that was free a moment ago (listen(0) on the loopback, then close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as net.AddressInfo
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}
