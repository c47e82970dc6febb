// `svc top`: live CPU and memory per service; refreshes on a terminal, one snapshot otherwise.

import { InvalidArgumentError, type Command } from 'commander'
import type { ServiceSnapshot } from '@services-cluster/core'
import { EXIT } from '../errors.js'
import { servicesTable } from '../output/services.js'
import { action, optionsOf } from './action.js'
import { connectProject } from './project.js'

interface TopOptions {
  interval: number
}

export function registerTop(program: Command): void {
  program
    .command('top')
    .description('live CPU % and memory per service (one snapshot when not on a terminal)')
    .option('-i, --interval <ms>', 'refresh interval on a terminal', interval, 1_000)
    .option('--json', 'print one snapshot as JSON')
    .action(
      action(async (_opts: TopOptions, command: Command) => {
        const opts = optionsOf<TopOptions>(command)
        const { client } = await connectProject(opts.config)
        const snapshot = () => client.request('ps', {}, { timeoutMs: 5_000 })
        if (opts.json || !process.stdout.isTTY) {
          const services = await snapshot()
          process.stdout.write((opts.json ? JSON.stringify(services) : render(services)) + '\n')
          client.close()
          return EXIT.ok
        }
        // Alternate screen, so the terminal comes back as it was.
        process.stdout.write('\x1b[?1049h\x1b[?25l')
        const restore = () => process.stdout.write('\x1b[?25h\x1b[?1049l')
        try {
          await new Promise<void>((resolve, reject) => {
            let timer: NodeJS.Timeout | undefined
            const tick = async () => {
              try {
                const services = await snapshot()
                process.stdout.write(`\x1b[H\x1b[J${render(services)}\n\nsvc top — every ${opts.interval} ms, Ctrl-C to quit\n`)
                timer = setTimeout(() => void tick(), opts.interval)
              } catch (error) {
                reject(error)
              }
            }
            client.once('close', () => {
              clearTimeout(timer)
              resolve()
            })
            process.once('SIGINT', () => client.close())
            void tick()
          })
        } finally {
          restore()
        }
        return EXIT.ok
      }),
    )
}

function render(services: ServiceSnapshot[]): string {
  return servicesTable([...services].sort((a, b) => (b.usage?.cpu ?? -1) - (a.usage?.cpu ?? -1)))
}

function interval(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError('expected a whole number of milliseconds ≥ 100.')
  return n
}
