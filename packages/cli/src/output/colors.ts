// Colour only for people: on a TTY, never with NO_COLOR, forced with FORCE_COLOR (picocolors alone also colours when CI is set).

import pc from 'picocolors'

export type Colors = ReturnType<typeof pc.createColors>

export function colorsEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv): boolean {
  if (('NO_COLOR' in env && env.NO_COLOR !== '') || argv.includes('--no-color')) return false
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true && env.TERM !== 'dumb'
}

export const out: Colors = pc.createColors(colorsEnabled(process.stdout))
export const err: Colors = pc.createColors(colorsEnabled(process.stderr))

const PALETTE = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'redBright', 'cyanBright', 'magentaBright'] as const

/** A stable colour per service, by its position in the manifest. */
export function serviceColor(colors: Colors, index: number): (text: string) => string {
  return colors[PALETTE[index % PALETTE.length]!]
}

export function stateColor(colors: Colors, state: string): (text: string) => string {
  switch (state) {
    case 'running':
    case 'completed':
      return colors.green
    case 'starting':
    case 'closing':
    case 'restarting':
      return colors.yellow
    case 'crashed':
    case 'failed':
      return colors.red
    default:
      return colors.dim
  }
}
