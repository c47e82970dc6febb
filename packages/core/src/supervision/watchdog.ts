// A tiny process that outlives the manager by design: it learns every service's process group over
// its stdin, and when stdin ends — the manager closed or was SIGKILLed — it kills every group still
// alive. A busy-looping service that never reads its channel dies this way too.
// Protocol on stdin, one line each: "+<pgid>" adds, "-<pgid>" removes, "." means a clean close.

const groups = new Set<number>()
let clean = false
let buffered = ''

process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk: string) => {
  buffered += chunk
  let nl: number
  while ((nl = buffered.indexOf('\n')) !== -1) {
    const line = buffered.slice(0, nl)
    buffered = buffered.slice(nl + 1)
    if (line === '.') clean = true
    else if (line.startsWith('+')) groups.add(Number(line.slice(1)))
    else if (line.startsWith('-')) groups.delete(Number(line.slice(1)))
  }
})
process.stdin.on('end', () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL')
    } catch {}
  }
  process.exit(clean ? 0 : 1)
})
// The terminal's Ctrl-C goes to the manager, which closes services itself; the watchdog waits for EOF.
process.on('SIGINT', () => {})
process.on('SIGHUP', () => {})
