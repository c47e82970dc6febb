// Separate network stacks for the hosts of a cross-host test (issue 25): each host's manager runs in a network
// namespace of its own — its own loopback, so nothing one host opens on 127.0.0.1 (or as an abstract Unix socket)
// reaches another —, joined to the others by a bridge on which the test's nats-server listens. Made with iproute2 as
// root; where the machine does not allow it, the hosts share the machine's stack, and the suite says so in one line.
// (The file system stays shared: each host has its own state folder.)

import { execFileSync } from 'node:child_process'

export class HostNetwork {
  /** Host name → its namespace and the bridge's end of its link. */
  readonly #hosts = new Map<string, { ns: string; veth: string }>()
  #destroyed = false

  private constructor(
    private readonly id: string,
    /** The first three octets of the bridge's /24. */
    private readonly subnet: string,
  ) {}

  /** A bridge of its own, or null (with the line saying why) where network namespaces cannot be made. */
  static create(what: string): HostNetwork | null {
    const id = String(process.pid % 100_000)
    const subnet = `10.${64 + (process.pid % 128)}.${(process.pid >> 7) & 255}`
    const network = new HostNetwork(id, subnet)
    try {
      ip('link', 'add', network.#bridge, 'type', 'bridge')
      ip('addr', 'add', `${subnet}.1/24`, 'dev', network.#bridge)
      ip('link', 'set', network.#bridge, 'up')
      return network
    } catch (error) {
      network.destroy()
      process.stderr.write(`${what}: the hosts share this machine's network stack (no network namespaces here: ${firstLine(error)}; run as root with iproute2 to separate them)\n`)
      return null
    }
  }

  /** Where the hosts reach the test's nats-server: the bridge's own address. */
  get natsAddress(): string {
    return `${this.subnet}.1`
  }

  /** `argv` to run in host `name`'s namespace (made at its first use; the host's address is on the bridge). */
  wrap(name: string, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.#namespace(name), ...argv]
  }

  /** Cuts host `name` off the others and from NATS (its link down), or joins it again. */
  cut(name: string, off = true): void {
    ip('link', 'set', this.#hosts.get(name)!.veth, off ? 'down' : 'up')
  }

  #namespace(name: string): string {
    const existing = this.#hosts.get(name)
    if (existing) return existing.ns
    const k = this.#hosts.size + 1
    const ns = `svc${this.id}-${name}`
    const veth = `svv${this.id}n${k}`
    ip('netns', 'add', ns)
    this.#hosts.set(name, { ns, veth })
    ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
    ip('link', 'set', veth, 'master', this.#bridge, 'up')
    ip('-n', ns, 'addr', 'add', `${this.subnet}.${9 + k}/24`, 'dev', 'eth0')
    ip('-n', ns, 'link', 'set', 'eth0', 'up')
    return ns
  }

  get #bridge(): string {
    return `svb${this.id}`
  }

  /** Removes every namespace (their veth pairs go with them) and the bridge. */
  destroy(): void {
    if (this.#destroyed) return
    this.#destroyed = true
    for (const { ns } of this.#hosts.values()) quietly(() => ip('netns', 'del', ns))
    quietly(() => ip('link', 'del', this.#bridge))
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function quietly(action: () => void): void {
  try {
    action()
  } catch {
    // already gone
  }
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim()
  return (stderr || (error as Error).message).split('\n')[0]!
}
