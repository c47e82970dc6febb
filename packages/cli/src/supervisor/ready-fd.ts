// `svc up --ready-fd N`: for a supervisor other than systemd (s6's notification-fd, dinit's pipefd, a script), the
// line "READY=1\n" is written to file descriptor N once the graph runs, and N is closed: end of file also says ready.

import { InvalidArgumentError } from 'commander'
import { closeSync, fstatSync, writeSync } from 'node:fs'
import { cliError } from '../errors.js'

export interface ReadyFd {
  ready(): void
  close(): void
}

export function openReadyFd(fd: number): ReadyFd {
  const hint = `The supervisor that starts \`svc up\` must hand it an open pipe as descriptor ${fd} (s6: notification-fd; a shell: \`svc up --ready-fd 3 3>ready.fifo\`).`
  let stat
  try {
    stat = fstatSync(fd)
  } catch {
    throw cliError('SVC_ERR_CLI_USAGE', `--ready-fd ${fd}: file descriptor ${fd} is not open in this process.`, { hint })
  }
  // Node's own descriptors (epoll, eventfd) are anonymous inodes: never write into one of them by mistake.
  if (!stat.isFIFO() && !stat.isSocket() && !stat.isFile() && !stat.isCharacterDevice()) {
    throw cliError('SVC_ERR_CLI_USAGE', `--ready-fd ${fd}: file descriptor ${fd} is not a pipe, socket or file that the supervisor handed over.`, { hint })
  }
  let open = true
  const close = () => {
    if (!open) return
    open = false
    try {
      closeSync(fd)
    } catch {
      // already closed by someone else: nothing to release
    }
  }
  return {
    ready() {
      if (!open) return
      try {
        writeSync(fd, 'READY=1\n')
      } catch {
        // the reader went away (EPIPE): nobody is waiting any more
      }
      close()
    },
    close,
  }
}

/** commander's parser for --ready-fd: 3 and up (0–2 are the standard streams). */
export function parseReadyFd(value: string): number {
  const fd = Number(value)
  if (!Number.isInteger(fd) || fd < 3) {
    throw new InvalidArgumentError(`expected a file descriptor number from 3 up (0–2 are stdin, stdout and stderr), not "${value}".`)
  }
  return fd
}
