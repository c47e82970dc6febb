// `svc apply [--dry-run]`: the running manager re-reads its manifest and changes only what changed. The plan is
// shown first; --dry-run stops there.

import { restoreError, type ApplyPlan } from '@services-cluster/core'
import type { Command } from 'commander'
import { RemoteError, type ControlClient } from '../control/client.js'
import { EXIT } from '../errors.js'
import { manifestFailure } from '../manifest/problems.js'
import { out } from '../output/colors.js'
import { planLines } from '../output/plan.js'
import { servicesTable } from '../output/services.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

interface ApplyOptions {
  dryRun?: boolean
}

// What the manager refuses a manifest with: shown as `svc up` and `svc validate` show them, with the file's line.
const MANIFEST_CODES = new Set([
  'SVC_ERR_MANIFEST_INVALID', 'SVC_ERR_BAD_NAME', 'SVC_ERR_DUPLICATE_SERVICE', 'SVC_ERR_UNKNOWN_DEPENDENCY', 'SVC_ERR_SELF_DEPENDENCY',
  'SVC_ERR_DEPENDENCY_CYCLE', 'SVC_ERR_ENTRY_NOT_FOUND', 'SVC_ERR_ENV_FILE', 'SVC_ERR_REMOVED_DEPENDENCY', 'SVC_ERR_APPLY_UNSUPPORTED',
])

export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('re-read the manifest of the running graph and change only what changed: added services start, removed ones close, changed ones restart')
    .option('--dry-run', 'only show the plan')
    .option('--json', 'print the plan (and the services afterwards) as JSON')
    .action(
      action(async (_opts: unknown, command: Command) => {
        const opts = optionsOf<ApplyOptions>(command)
        const { client, project } = await connectProject(opts.config)
        // -c names the manifest to apply; without it, the one the manager runs.
        const file = opts.config ? project.file : client.info.configFile
        const show = (plan: ApplyPlan) => !opts.json && process.stdout.write(planLines(plan, out).join('\n') + '\n')
        try {
          const planned = await request(client, file, true)
          if (opts.dryRun || isEmpty(planned.plan)) {
            if (opts.json) process.stdout.write(JSON.stringify({ plan: planned.plan, applied: false }) + '\n')
            else if (isEmpty(planned.plan)) process.stderr.write('svc: nothing to change; every service runs as the manifest says.\n')
            else show(planned.plan)
            return EXIT.ok
          }
          show(planned.plan)
          client.on('state', (c) => {
            if (!opts.json && (c.to === 'running' || c.to === 'closed')) process.stderr.write(`svc: ${c.service} ${c.to}\n`)
          })
          await client.request('subscribe', { topics: ['state'] })
          const applied = await request(client, file, false)
          // The file may have changed between the two reads: say what was really done.
          if (JSON.stringify(applied.plan) !== JSON.stringify(planned.plan)) {
            process.stderr.write('svc: the manifest changed while applying; what was done:\n')
            show(applied.plan)
          }
          process.stdout.write((opts.json ? JSON.stringify({ plan: applied.plan, applied: true, services: applied.services }) : servicesTable(applied.services)) + '\n')
          return EXIT.ok
        } finally {
          client.close()
        }
      }),
    )
}

async function request(client: ControlClient, file: string, dryRun: boolean) {
  try {
    return await client.request('apply', { file, dryRun })
  } catch (error) {
    if (error instanceof RemoteError && error.remote?.code && MANIFEST_CODES.has(error.remote.code)) throw manifestFailure(restoreError(error.remote), file)
    throw error
  }
}

function isEmpty(plan: ApplyPlan): boolean {
  return plan.add.length + plan.remove.length + plan.change.length === 0
}
