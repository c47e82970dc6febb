// The error of a direct call whose target closed or died before answering, whichever way the call went.

import { svcError } from '../errors.js'

// Same error as a relayed call whose target stopped: callers handle one code, whichever path a call took.
export function closedError(to: string, method: string, why: string): Error {
  return svcError('SVC_ERR_SERVICE_CLOSED', `Service "${to}" closed before answering ${method} (${why}). Retry once it runs again.`, {
    service: to,
    details: { method, direct: true },
  })
}
