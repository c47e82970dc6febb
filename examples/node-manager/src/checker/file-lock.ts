// One writer per store file: a `<path>.lock` file holding the owner's pid. A lock left by a dead
// process (a crash) is taken over; a live owner, or another store in this process, is refused.
import { open, readFile, unlink, writeFile } from 'node:fs/promises'
import { errors } from '../errors.ts'

// Paths locked by this process; the pid alone cannot tell our own stale lock from a live one.
const heldHere = new Set<string>()

export interface FileLock {
  release(): Promise<void>
}

export async function acquireLock(storePath: string): Promise<FileLock> {
  const lockPath = `${storePath}.lock`
  if (heldHere.has(lockPath)) throw errors.storeLocked(storePath, process.pid)
  try {
    const handle = await open(lockPath, 'wx')
    await handle.writeFile(String(process.pid))
    await handle.close()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10)
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw errors.storeLocked(storePath, owner)
    await writeFile(lockPath, String(process.pid))
  }
  heldHere.add(lockPath)
  let released = false
  return {
    async release() {
      if (released) return
      released = true
      heldHere.delete(lockPath)
      await unlink(lockPath).catch(() => undefined)
    },
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
