import { expect, test } from '@jest/globals'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { usageReader } from '../../src/manager/proc-usage.js'

// Real processes, read from /proc: a busy loop shows as busy, an idle one as idle, and RSS is the kernel's figure.
test('CPU % follows what a process does between readings; RSS is its resident memory', async () => {
  const reader = usageReader()
  const busy = spawn(process.execPath, ['-e', 'process.stdout.write("go\\n"); for (;;) {}'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const idle = spawn(process.execPath, ['-e', 'process.stdout.write("go\\n"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    await Promise.all([once(busy.stdout!, 'data'), once(idle.stdout!, 'data')])
    await Promise.all([reader.read(busy.pid!), reader.read(idle.pid!)])
    // The window CPU % is measured over (CPU clocks tick every 10 ms); nothing here depends on its length.
    await new Promise((r) => setTimeout(r, 300))
    const [b, i] = await Promise.all([reader.read(busy.pid!), reader.read(idle.pid!)])
    expect(i.cpu).toBeLessThan(10)
    expect(b.cpu).toBeGreaterThan(i.cpu + 5) // a busy loop, however loaded the machine: far above idle
    expect(i.rss).toBeGreaterThan(5 * 1024 * 1024)
  } finally {
    busy.kill('SIGKILL')
    idle.kill('SIGKILL')
  }
})

test('a gone process fails its reading', async () => {
  const reader = usageReader()
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(child, 'exit')
  await expect(reader.read(child.pid!)).rejects.toThrow()
})
