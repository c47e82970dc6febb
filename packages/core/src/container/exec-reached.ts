// When a contained command has really started: between the spawn and the exec of the command, a stop signal can be
// lost — `unshare` blocks SIGTERM and SIGINT for itself, and the namespace's init (PID 1) drops signals it has no
// handler for yet. So a command counts as started, and is signalled, only once the init's child is no longer a copy
// of the init (the subshell has exec'd the command). Linux only; elsewhere there is no container and no window.

import { readFile } from 'node:fs/promises'

const POLL_MS = 1

export async function execReached(leader: number, exited: Promise<unknown>): Promise<void> {
  let gone = false
  void exited.then(() => (gone = true))
  while (!gone) {
    const init = (await childrenOf(leader))[0]
    const command = init === undefined ? undefined : (await childrenOf(init))[0]
    if (init !== undefined && command !== undefined && (await cmdline(command)) !== (await cmdline(init))) return
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const list = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  return list.split(' ').filter(Boolean).map(Number)
}

function cmdline(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')
}
