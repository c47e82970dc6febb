// The kernel container each service process runs in, so that nothing it starts can outlive it or reach past it.
//
// On Linux, with `unshare` allowed (root, or an unprivileged user namespace), every service gets:
//   - a PID namespace: its whole tree — however it detaches (setsid, double fork, `detached: true`) — dies with the
//     namespace's init, which the manager's group kill, the watchdog and the next manager's reaper all reach; and it
//     cannot signal (or even see) any process outside its namespace: siblings, the manager;
//   - a mount namespace with a private /proc (only its own processes), in which the manager's private directory
//     (<stateDir>/private: control socket, run records) is covered by an empty tmpfs: the control plane is out of
//     reach, and /proc/<manager pid>/root cannot lead around it;
//   - with `network: false`, a network namespace as well.
// The namespace's init is /bin/sh, not Node: as PID 1, Node would ignore SIGTERM (the kernel drops signals PID 1 has
// no handler for) and never reap the orphans of a double fork. sh waits for the service, reaping whatever else dies,
// and exits with its status — 128 + n when it died of signal n, as a shell reports it (see exitOfInit below).
// Elsewhere, or when the probe fails, a service runs in its own process group only, and the start-up report says so.

import { execFileSync } from 'node:child_process'
import { constants } from 'node:os'
import { debuglog } from 'node:util'

const trace = debuglog('svc:containment')

export type ContainmentKind = 'namespaces' | 'user-namespaces' | 'process-group'

export interface Containment {
  kind: ContainmentKind
  /** The command (and its arguments) a service's own command line is appended to; empty for a process group. */
  wrap(options: { network: boolean; hide: string; stopSignal: NodeJS.Signals }): string[]
  /** One line for the start-up report: what holds here and what does not. */
  describe(): string
}

// $1 is the private directory to cover (empty: none), $2 the service's stop signal; the rest is the service's command.
// `mount` failing (the folder is missing, say) would leave the control plane visible, so the service does not start
// at all (status 125, as env(1) uses for its own failures).
// The service runs in a subshell, followed by another command, so that no shell exec's it in place of itself (it
// would be PID 1). Its stop signal, sent to the process group, reaches sh too (a trap makes PID 1 take it): a stop
// that comes before the service exists ends the start there, instead of being lost and waiting out the kill timeout.
// sh's own stderr goes to /dev/null (fd 9 keeps the real one for mount and the service): sh would otherwise print
// "Terminated" into the service's log whenever a signal ends it. fd 3 (the channel) and fd 4 (the listening socket of
// a service with `listen`) must reach the service as they are: nothing here may redirect or close them.
const INIT =
  'hide=$1; sig=$2; shift 2; stop=; trap "stop=1" "$sig"; exec 9>&2 2>/dev/null; ' +
  'if [ -n "$hide" ]; then (exec mount -t tmpfs -o size=4k,mode=0 svc-private "$hide" 2>&9) || [ -n "$stop" ] || exit 125; fi; ' +
  '[ -n "$stop" ] && exit $((128 + $(kill -l "$sig"))); (exec "$@" 2>&9 9>&-); exit $?'

let probed: Containment | undefined

/** What this host can enforce, probed once per manager process (each probe costs a few milliseconds). */
export function hostContainment(): Containment {
  probed ??= probe()
  return probed
}

function probe(): Containment {
  if (process.platform !== 'linux' || process.env.SVC_CONTAINMENT === 'process-group') return processGroup('not Linux or SVC_CONTAINMENT=process-group')
  for (const kind of ['namespaces', 'user-namespaces'] as const) {
    const base = namespaceArgs(kind)
    try {
      execFileSync(base[0]!, [...base.slice(1), '/bin/sh', '-c', INIT, 'svc-init', '', 'TERM', 'true'], { stdio: 'ignore', timeout: 3000 })
      return namespaces(kind, base)
    } catch (error) {
      trace('%s unavailable: %o', kind, error)
    }
  }
  return processGroup('unshare is missing or not permitted (needs root or unprivileged user namespaces)')
}

function namespaceArgs(kind: 'namespaces' | 'user-namespaces'): string[] {
  // --kill-child: should unshare itself be killed, the namespace's init (and so everything in it) goes too.
  const args = ['unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private', '--mount-proc']
  if (kind === 'user-namespaces') args.splice(1, 0, '--user', '--map-root-user')
  return args
}

function namespaces(kind: 'namespaces' | 'user-namespaces', base: string[]): Containment {
  return {
    kind,
    wrap: ({ network, hide, stopSignal }) => [...base, ...(network ? [] : ['--net']), '/bin/sh', '-c', INIT, 'svc-init', hide, stopSignal.replace(/^SIG/, '')],
    describe: () =>
      `process tree contained — a PID namespace${kind === 'user-namespaces' ? ' in a user namespace' : ''} (nothing it starts outlives it; it cannot signal other services or the manager), and a mount namespace that hides the control plane`,
  }
}

function processGroup(why: string): Containment {
  return {
    kind: 'process-group',
    wrap: () => [],
    describe: () => `process tree NOT contained (${why}): a process that leaves the service's process group can outlive it, and the service can reach the control socket`,
  }
}

/** A contained service's exit as the service itself ended: its init reports a death by signal n as status 128 + n. */
export function exitOfInit(status: { code: number | null; signal: string | null }): { code: number | null; signal: string | null } {
  if (status.code === null || status.code <= 128) return status
  const signal = Object.entries(constants.signals).find(([, n]) => n === status.code! - 128)?.[0]
  return signal ? { code: null, signal } : status
}
