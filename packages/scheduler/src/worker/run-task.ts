// Runs inside a tinypool worker thread: loads a task module (TypeScript or JavaScript, through jiti) and
// calls its default export with (input, { signal }). Nothing here may block the host: it is a separate thread.

import { createJiti } from 'jiti'
import { ErrorCodes, toRunError } from '../errors.js'
import { ABORT_MESSAGE, type WorkerRequest, type WorkerResponse } from './protocol.js'

type TaskFunction = (input: unknown, context: { signal: AbortSignal }) => unknown

const jiti = createJiti(import.meta.url)

export default async function runTask(request: WorkerRequest): Promise<WorkerResponse> {
  const controller = new AbortController()
  request.port.on('message', (message) => {
    if (message === ABORT_MESSAGE) controller.abort(new Error('The scheduler aborted this task run'))
  })
  try {
    const fn = await jiti.import<unknown>(request.modulePath, { default: true })
    if (typeof fn !== 'function') {
      return failure(ErrorCodes.MODULE_NO_DEFAULT, `Task module ${request.modulePath} has no default export function. Export \`default async (input, { signal }) => result\`.`)
    }
    const result = await (fn as TaskFunction)(request.input, { signal: controller.signal })
    try {
      structuredClone(result)
    } catch (error) {
      return failure(ErrorCodes.RESULT_NOT_CLONEABLE, `Task module ${request.modulePath} returned a value that cannot leave the worker thread (${(error as Error).message}). Return plain data.`)
    }
    return { ok: true, result }
  } catch (error) {
    return { ok: false, error: toRunError(error) }
  } finally {
    request.port.close()
  }
}

function failure(code: string, message: string): WorkerResponse {
  return { ok: false, error: { name: 'SchedulerError', code, message } }
}
