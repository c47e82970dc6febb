// A message too big for its channel is refused by its sender, before a byte is written: the receiving end would
// have to close the channel (it cannot skip a frame it will not buffer), which cuts off everything else on it.

import { ServiceError, svcError } from '../errors.js'

/** What FramePort.send throws; whoever knows which service and which call it was says so (tooLargeFor). */
export function frameTooLarge(bytes: number, limitBytes: number): ServiceError {
  return svcError('SVC_ERR_MESSAGE_TOO_LARGE', `A message of ${bytes} bytes is over this channel's limit of ${limitBytes} bytes; it was not sent.`, {
    details: { bytes, limitBytes },
  })
}

// By its code, not its class: a bundled runner and a service's own import of the package may hold two copies of it.
export function isTooLarge(error: unknown): error is ServiceError {
  return error instanceof Error && (error as Partial<ServiceError>).code === 'SVC_ERR_MESSAGE_TOO_LARGE'
}

/** The same error, told from the point of view of `service`: `what` is, e.g., "the arguments of b.echo". */
export function tooLargeFor(service: string, what: string, cause: ServiceError): ServiceError {
  const { bytes, limitBytes } = cause.details as { bytes: number; limitBytes: number }
  return svcError(
    'SVC_ERR_MESSAGE_TOO_LARGE',
    `Service "${service}": ${what} would be a message of ${mib(bytes)} MiB, over the ${mib(limitBytes)} MiB one message on this channel may carry; it was not sent. Pass large data another way (a file path, or in parts).`,
    { service, details: { bytes, limitBytes } },
  )
}

const MIB = 1024 * 1024

/** A size in MiB to one decimal, none when whole: what a message or a limit weighs. */
function mib(bytes: number): string {
  return (bytes / MIB).toFixed(bytes % MIB === 0 ? 0 : 1)
}

/** A size in whole MiB: how much waits in a queue, against its limit. */
export function wholeMiB(bytes: number): number {
  return Math.round(bytes / MIB)
}
