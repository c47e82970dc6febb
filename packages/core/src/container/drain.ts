// A process's output can arrive after its exit: wait for its pipes to end, but not forever (a process that escaped
// its container — where the host has none — could hold them open).

const OUTPUT_GRACE_MS = 2000

export function drained(...streams: (NodeJS.ReadableStream | null | undefined)[]): Promise<unknown> {
  return Promise.race([Promise.all(streams.map(ended)), new Promise((resolve) => setTimeout(resolve, OUTPUT_GRACE_MS).unref())])
}

function ended(stream: NodeJS.ReadableStream | null | undefined): Promise<void> {
  if (!stream || (stream as { readableEnded?: boolean }).readableEnded || (stream as { destroyed?: boolean }).destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    stream.once('end', resolve)
    stream.once('close', resolve)
  })
}
