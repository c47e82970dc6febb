// `svc logs | head`: the reader going away is not an error. By default: exit quietly.

let onBrokenPipe: () => void = () => process.exit(0)

export function setBrokenPipe(handler: () => void): void {
  onBrokenPipe = handler
}

export function guardPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') onBrokenPipe()
      else throw error
    })
  }
}
