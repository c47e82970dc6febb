// `svc export systemd`: a unit that starts this project's graph at boot with `svc up` (Type=notify), and how to
// install it. The unit goes to stdout (or --output); what to do next goes to stderr.

import type { Command } from 'commander'
import { mkdirSync, writeFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import { basename, delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cliError, shortPath } from '../errors.js'
import { graphTimeouts, systemdUnit, type UnitFacts } from '../export/systemd-unit.js'
import { loadManifest } from '../manifest/load.js'
import { out } from '../output/colors.js'
import { action, optionsOf } from './action.js'

const BIN = fileURLToPath(new URL('../bin.js', import.meta.url))
/** systemd's own PATH for services (the fallback of its DefaultEnvironment). */
const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']
/** systemd restarts the graph when `svc up` sends no WATCHDOG=1 for this long (it sends one every half). */
const WATCHDOG_SEC = 30

interface ExportOptions {
  user?: boolean
  name?: string
  output?: string
}

export function registerExport(program: Command): void {
  const exporter = program.command('export').description('write what runs the graph under another supervisor')
  exporter
    .command('systemd')
    .description('write a systemd unit that starts the graph at boot (Type=notify: ready once every service runs), and say how to install it')
    .option('--user', 'a user unit (systemctl --user), for a graph that runs as you without root')
    .option('--name <unit>', 'the unit name (default: the --output file\'s name, else svc-<project directory>.service)')
    .option('-o, --output <file>', 'write the unit to this file instead of stdout')
    .action(
      action(async (_opts: ExportOptions, command: Command) => {
        const opts = optionsOf<ExportOptions>(command)
        const loaded = await loadManifest({ config: opts.config })
        // Named as asked, else as the file it is written to (systemd names a unit by its file), else by the project.
        const asked = opts.name ?? (opts.output?.endsWith('.service') ? basename(opts.output) : undefined)
        const name = asked === undefined ? defaultUnitName(loaded.cwd) : unitName(asked)
        const { startSec, stopSec } = graphTimeouts(loaded.resolved)
        const me = userInfo().username
        const facts: UnitFacts = {
          name,
          user: opts.user === true,
          node: process.execPath,
          bin: BIN,
          manifest: loaded.file,
          cwd: loaded.cwd,
          runAs: me === 'root' ? null : me,
          path: [...new Set([dirname(process.execPath), ...SYSTEMD_PATH])].join(delimiter),
          startTimeoutSec: startSec,
          stopTimeoutSec: stopSec,
          watchdogSec: WATCHDOG_SEC,
        }
        let unit: string
        try {
          unit = systemdUnit(facts)
        } catch (error) {
          throw cliError('SVC_ERR_CLI_USAGE', `The unit cannot be written: ${(error as Error).message}.`, { hint: 'Move the project to a path without line breaks.' })
        }
        if (opts.output === undefined) process.stdout.write(unit)
        else {
          const file = resolve(opts.output)
          mkdirSync(dirname(file), { recursive: true })
          writeFileSync(file, unit, { mode: 0o644 })
        }
        // The same export, to run again with -o: what the next steps suggest.
        const again = ['svc export systemd', `-c ${shortPath(loaded.file)}`, ...(opts.user ? ['--user'] : []), ...(opts.name ? [`--name ${name}`] : [])].join(' ')
        process.stderr.write(installSteps(facts, opts.output === undefined ? null : resolve(opts.output), me, again))
      }),
    )
}

const NOT_IN_UNIT_NAMES = /[^A-Za-z0-9:_.\\-]/

/** `svc-<project directory>.service`, any other character of the directory's name as `-`. */
function defaultUnitName(cwd: string): string {
  return `svc-${basename(cwd).slice(0, 240).replace(new RegExp(NOT_IN_UNIT_NAMES.source, 'g'), '-')}.service`
}

/** `shop` → `shop.service`; systemd's characters only, and no template (`@`). */
function unitName(requested: string): string {
  const name = requested.endsWith('.service') ? requested : `${requested}.service`
  if (NOT_IN_UNIT_NAMES.test(name) || name.length > 255 || name === '.service') {
    throw cliError('SVC_ERR_CLI_USAGE', `"${requested}" is not a unit name systemd accepts.`, {
      hint: 'Use letters, digits and ":_.-\\" only (no "@": this is not a template unit), e.g. --name shop.',
    })
  }
  return name
}

function installSteps(f: UnitFacts, written: string | null, me: string, again: string): string {
  const ctl = f.user ? 'systemctl --user' : `${me === 'root' ? '' : 'sudo '}systemctl`
  const dir = f.user ? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'systemd/user') : '/etc/systemd/system'
  const target = join(dir, f.name)
  const sudo = !f.user && me !== 'root' ? 'sudo ' : ''
  const steps: string[] = []
  if (written === null) steps.push(sudo ? `${again} | sudo tee ${target} >/dev/null` : `${again} -o ${target}`)
  else if (written !== target) steps.push(`${sudo}cp ${shortPath(written)} ${target}`)
  steps.push(`${ctl} daemon-reload && ${ctl} enable --now ${f.name}`)
  // A user manager runs from the first login to the last logout, unless lingering is on.
  if (f.user) steps.push(`loginctl enable-linger ${me}   # start it at boot, not at your first login`)
  const head = written === null ? `${out.green('✔')} unit ${f.name} above. To install it:` : `${out.green('✔')} wrote ${shortPath(written)}. To install it:`
  return [
    head,
    ...steps.map((s) => `  ${s}`),
    `Then: ${ctl} status ${f.name}    logs: journalctl${f.user ? ' --user' : ''} -u ${f.name} -f    stop: ${ctl} stop ${f.name}`,
    '',
  ].join('\n')
}
