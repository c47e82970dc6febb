// A listening TCP socket held by the manager for a service's `listen` field, as a bare file descriptor.
//
// Every process of the service gets it as fd 4 and accepts on it; the manager never does. A net.Server here would
// put the socket in the manager's event loop, which would then accept (and hold) connections itself. A raw fd that
// nobody in this process polls only keeps the port bound: while no service process accepts — one is being replaced —
// the kernel completes the handshakes and queues the connections in the socket's backlog, and the next process
// accepts them. Node cannot create a socket without polling it, so this calls libc's socket(2), bind(2) and
// listen(2) through koffi (as the CLI's notify socket does: prebuilt binaries, nothing compiled at install).
// Loaded only when a service has `listen`, so nobody else pays for it.

import { endianness } from 'node:os'
import { isIPv4, isIPv6 } from 'node:net'
import { debuglog } from 'node:util'
import { svcError } from '../errors.js'

const trace = debuglog('svc:listen')

const AF_INET = 2
const AF_INET6 = 10
const SOCK_STREAM = 1
// Close-on-exec: only the processes it is handed to (as fd 4, by dup2, which clears the flag) inherit it.
const SOCK_CLOEXEC = 0o2000000
const SOL_SOCKET = 1
const SO_REUSEADDR = 2
/** Node's own default backlog for server.listen(). */
const BACKLOG = 511
const EADDRINUSE = 98

export interface ListenAddress {
  host: string
  /** The real port: the one the kernel chose when 0 was asked for. */
  port: number
}

export interface ListenSocket extends ListenAddress {
  fd: number
  /** Idempotent. */
  close(): void
}

interface Libc {
  socket(domain: number, type: number, protocol: number): number
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number
  inet_pton(family: number, text: string, out: Buffer): number
  bind(fd: number, address: Buffer, length: number): number
  listen(fd: number, backlog: number): number
  getsockname(fd: number, address: Buffer, length: Buffer): number
  close(fd: number): number
  errno(): number
}

let libc: Promise<Libc> | undefined

/** Opens the socket `service` listens on; `host` is an IPv4 or IPv6 address (the manifest checked it). */
export async function openListenSocket(service: string, host: string, port: number): Promise<ListenSocket> {
  if (process.platform !== 'linux') {
    throw svcError('SVC_ERR_LISTEN_UNSUPPORTED', `Service "${service}" has listen, which is Linux-only for now (this is ${process.platform}). Remove listen and let the service bind its port itself.`, { service })
  }
  libc ??= loadLibc(service)
  const c = await libc.catch((error: unknown) => {
    libc = undefined // a later try may load it (nothing is cached from a failure)
    throw error
  })
  const family = isIPv6(host) ? AF_INET6 : AF_INET
  if (family === AF_INET && !isIPv4(host)) throw svcError('SVC_ERR_LISTEN_FAILED', `Service "${service}": listen.host must be an IP address, not "${host}".`, { service })
  const fd = c.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)
  if (fd < 0) throw failed(service, host, port, 'socket', c.errno())
  try {
    // As Node does for every server: a port whose last connections are still in TIME_WAIT can be bound again.
    if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, nativeInt(1), 4) !== 0) throw failed(service, host, port, 'setsockopt', c.errno())
    const address = sockaddr(c, family, host, port)
    if (c.bind(fd, address, address.length) !== 0) {
      const errno = c.errno()
      if (errno === EADDRINUSE) {
        throw svcError('SVC_ERR_PORT_IN_USE', `Service "${service}" cannot listen on ${display(host, port)}: the port is in use. Stop what holds it (\`ss -ltnp 'sport = :${port}'\` names it), or give "${service}" another listen.port.`, {
          service,
          details: { host, port },
        })
      }
      throw failed(service, host, port, 'bind', errno)
    }
    if (c.listen(fd, BACKLOG) !== 0) throw failed(service, host, port, 'listen', c.errno())
    const bound = Buffer.alloc(address.length)
    if (c.getsockname(fd, bound, nativeInt(bound.length)) !== 0) throw failed(service, host, port, 'getsockname', c.errno())
    const realPort = bound.readUInt16BE(2) // sin_port / sin6_port: network byte order, after the 2-byte family
    trace('%s: fd %d listens on %s', service, fd, display(host, realPort))
    let open = true
    return {
      fd,
      host,
      port: realPort,
      close() {
        if (!open) return
        open = false
        c.close(fd)
        trace('%s: fd %d closed', service, fd)
      },
    }
  } catch (error) {
    c.close(fd)
    throw error
  }
}

// struct sockaddr_in (16 bytes) or sockaddr_in6 (28): a native-endian family, the port in network order, the address.
function sockaddr(c: Libc, family: number, host: string, port: number): Buffer {
  const buffer = Buffer.alloc(family === AF_INET ? 16 : 28)
  if (endianness() === 'LE') buffer.writeUInt16LE(family, 0)
  else buffer.writeUInt16BE(family, 0)
  buffer.writeUInt16BE(port, 2)
  // sin_addr at 4; sin6_addr at 8, after sin6_flowinfo (left 0, as is sin6_scope_id).
  const at = family === AF_INET ? 4 : 8
  const address = Buffer.alloc(family === AF_INET ? 4 : 16)
  if (c.inet_pton(family, host, address) !== 1) throw new Error(`inet_pton could not read "${host}"`)
  address.copy(buffer, at)
  return buffer
}

/** A C int (or socklen_t) in this machine's byte order. */
function nativeInt(value: number): Buffer {
  const buffer = Buffer.alloc(4)
  if (endianness() === 'LE') buffer.writeInt32LE(value)
  else buffer.writeInt32BE(value)
  return buffer
}

function display(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

function failed(service: string, host: string, port: number, call: string, errno: number): Error {
  return svcError('SVC_ERR_LISTEN_FAILED', `Service "${service}" cannot listen on ${display(host, port)}: ${call}() failed with errno ${errno}. Check listen.host is an address of this machine, and that a port below 1024 is allowed to this user.`, {
    service,
    details: { host, port, call, errno },
  })
}

type Koffi = (typeof import('koffi'))['default']

async function loadLibc(service: string): Promise<Libc> {
  let koffi: Koffi
  try {
    koffi = (await import('koffi')).default
  } catch (cause) {
    throw svcError('SVC_ERR_LISTEN_UNSUPPORTED', `Service "${service}" has listen, which needs the koffi package to create the socket, and it could not be loaded (${(cause as Error).message}). Reinstall dependencies, or remove listen.`, { service, cause })
  }
  // glibc's soname, else musl's (Alpine), which is the dynamic loader itself.
  const names = ['libc.so.6', `/lib/ld-musl-${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}.so.1`]
  let lib: ReturnType<Koffi['load']> | undefined
  let last: unknown
  for (const name of names) {
    try {
      lib = koffi.load(name)
      break
    } catch (error) {
      last = error
    }
  }
  if (!lib) {
    throw svcError('SVC_ERR_LISTEN_UNSUPPORTED', `Service "${service}" has listen, which needs the C library (${names.join(', ')}), and it could not be loaded (${(last as Error).message}). Remove listen and let the service bind its port itself.`, { service, cause: last })
  }
  const fn = <T>(signature: string) => lib.func(signature) as unknown as T
  return {
    socket: fn('int socket(int, int, int)'),
    setsockopt: fn('int setsockopt(int, int, int, const void *, uint32_t)'),
    inet_pton: fn('int inet_pton(int, const char *, void *)'),
    bind: fn('int bind(int, const void *, uint32_t)'),
    listen: fn('int listen(int, int)'),
    getsockname: fn('int getsockname(int, void *, void *)'),
    close: fn('int close(int)'),
    errno: () => koffi.errno(),
  }
}
