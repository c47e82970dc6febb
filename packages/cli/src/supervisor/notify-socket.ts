// A Unix datagram socket that sends to systemd's NOTIFY_SOCKET, from this process.
//
// Node has no Unix datagram sockets (nodejs/node#29339), and a helper process will not do: with NotifyAccess=main
// systemd accepts a message only from the main pid, which the kernel stamps on each datagram (SCM_CREDENTIALS), and
// a watchdog ping every few seconds should not fork. So this calls libc's socket(2) and sendto(2) through koffi, a
// widely used FFI whose binaries come prebuilt in its npm package (glibc and musl): nothing is compiled at install.
// Loaded only when NOTIFY_SOCKET is set, so nobody else pays for it.

import { endianness } from 'node:os'

const AF_UNIX = 1
const SOCK_DGRAM = 2
const SOCK_CLOEXEC = 0o2000000 // the services we spawn must not inherit it
const MSG_DONTWAIT = 0x40 // never block the event loop: a full queue is EAGAIN
const MSG_NOSIGNAL = 0x4000
/** sizeof(sockaddr_un.sun_path) on Linux. */
const SUN_PATH = 108
export const EAGAIN = 11

export interface NotifySocket {
  /** 0 once the datagram is queued, else the errno of sendto(2). */
  send(text: string): number
  close(): void
}

/** `@name` is in the abstract namespace (a leading NUL byte), anything else a path. */
export function notifyAddress(address: string): Buffer {
  const abstract = address.startsWith('@')
  if (!abstract && !address.startsWith('/')) throw new Error(`NOTIFY_SOCKET must be an absolute path or start with "@", not "${address}"`)
  const name = abstract ? Buffer.concat([Buffer.from([0]), Buffer.from(address.slice(1))]) : Buffer.from(`${address}\0`)
  if (name.length > SUN_PATH) throw new Error(`NOTIFY_SOCKET is longer than ${SUN_PATH} bytes: "${address}"`)
  // struct sockaddr_un: a native-endian sa_family_t, then the name; an abstract name's length is exactly its bytes.
  const sockaddr = Buffer.alloc(2 + name.length)
  if (endianness() === 'LE') sockaddr.writeUInt16LE(AF_UNIX, 0)
  else sockaddr.writeUInt16BE(AF_UNIX, 0)
  name.copy(sockaddr, 2)
  return sockaddr
}

export async function openNotifySocket(address: string): Promise<NotifySocket> {
  if (process.platform !== 'linux') throw new Error(`the notify protocol is Linux-only (this is ${process.platform})`)
  const sockaddr = notifyAddress(address)
  const { default: koffi } = await import('koffi')
  const libc = loadLibc(koffi)
  const socket = libc.func('int socket(int, int, int)')
  const sendto = libc.func('intptr_t sendto(int, const void *, size_t, int, const void *, uint32_t)')
  const close = libc.func('int close(int)')
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM) failed (errno ${koffi.errno()})`)
  let open = true
  return {
    send(text) {
      if (!open) return 0
      const data = Buffer.from(text, 'utf8')
      const sent = Number(sendto(fd, data, data.length, MSG_DONTWAIT | MSG_NOSIGNAL, sockaddr, sockaddr.length))
      return sent < 0 ? koffi.errno() : 0
    },
    close() {
      if (!open) return
      open = false
      close(fd)
    },
  }
}

type Koffi = (typeof import('koffi'))['default']

// glibc's soname, else musl's (Alpine), which is the dynamic loader itself.
function loadLibc(koffi: Koffi): ReturnType<Koffi['load']> {
  const candidates = ['libc.so.6', `/lib/ld-musl-${process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch}.so.1`]
  let last: unknown
  for (const name of candidates) {
    try {
      return koffi.load(name)
    } catch (error) {
      last = error
    }
  }
  throw new Error(`cannot load the C library (${candidates.join(', ')}): ${(last as Error).message}`)
}
