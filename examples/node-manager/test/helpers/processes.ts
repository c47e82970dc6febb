// What is still running, read from /proc (Linux): for tests that assert nothing outlived a close.
import { readdir, readFile } from 'node:fs/promises'

/** Live processes whose command line contains every one of `words` (Linux /proc), as "pid command line". */
export async function processesWith(...words: string[]): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')
    const line = cmdline.split('\0').filter(Boolean).join(' ')
    if (words.every((word) => line.includes(word))) found.push(`${entry} ${line}`)
  }
  return found
}
