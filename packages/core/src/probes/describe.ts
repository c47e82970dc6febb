// How a probe is named to people: "waiting for tcp 127.0.0.1:6390", "3 failed health checks (last: exec … failed …)".

import type { ProbeTarget } from './types.js'

export function describeProbe(probe: ProbeTarget): string {
  switch (probe.kind) {
    case 'http':
      return `http ${probe.url}`
    case 'tcp':
      return `tcp ${probe.host.includes(':') ? `[${probe.host}]` : probe.host}:${probe.port}`
    case 'exec':
      return `exec ${probe.argv.map(quoteArg).join(' ')}`
    case 'log':
      return `log /${probe.pattern}/`
    default:
      return probe satisfies never
  }
}

// Quoted only where a space or quote would make the command line ambiguous to the reader.
function quoteArg(arg: string): string {
  return arg !== '' && /^[^\s'"\\]+$/.test(arg) ? arg : JSON.stringify(arg)
}
