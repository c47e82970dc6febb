// Every error the scheduler throws: a stable code, a message that names the task and says what to do,
// and the facts (task, field) as properties so callers can branch without parsing text.

export const ErrorCodes = {
  TASK_INVALID: 'SVC_ERR_SCHED_TASK_INVALID',
  DURATION_INVALID: 'SVC_ERR_SCHED_DURATION_INVALID',
  CRON_INVALID: 'SVC_ERR_SCHED_CRON_INVALID',
  TASK_DUPLICATE: 'SVC_ERR_SCHED_TASK_DUPLICATE',
  TASK_UNKNOWN: 'SVC_ERR_SCHED_TASK_UNKNOWN',
  TASK_BUSY: 'SVC_ERR_SCHED_TASK_BUSY',
  TASK_NOT_REMOVABLE: 'SVC_ERR_SCHED_TASK_NOT_REMOVABLE',
  MODULE_NOT_FOUND: 'SVC_ERR_SCHED_MODULE_NOT_FOUND',
  MODULE_NO_DEFAULT: 'SVC_ERR_SCHED_MODULE_NO_DEFAULT',
  RESULT_NOT_CLONEABLE: 'SVC_ERR_SCHED_RESULT_NOT_CLONEABLE',
  WORKER_MISSING: 'SVC_ERR_SCHED_WORKER_MISSING',
  WORKER_FAILED: 'SVC_ERR_SCHED_WORKER_FAILED',
  TIMEOUT: 'SVC_ERR_SCHED_TIMEOUT',
  CANCELLED: 'SVC_ERR_SCHED_CANCELLED',
  NOT_BOOTSTRAPPED: 'SVC_ERR_SCHED_NOT_BOOTSTRAPPED',
  STOPPED: 'SVC_ERR_SCHED_STOPPED',
  STATE_FILE_CORRUPT: 'SVC_ERR_SCHED_STATE_FILE_CORRUPT',
  CLUSTER_CONFIG: 'SVC_ERR_SCHED_CLUSTER_CONFIG',
  CLUSTER_UNAVAILABLE: 'SVC_ERR_SCHED_CLUSTER_UNAVAILABLE',
} as const

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes]

export interface SchedulerErrorFacts {
  task?: string
  field?: string
  cause?: unknown
}

export class SchedulerError extends Error {
  override readonly name = 'SchedulerError'
  readonly code: ErrorCode
  readonly task?: string
  readonly field?: string

  constructor(code: ErrorCode, message: string, facts: SchedulerErrorFacts = {}) {
    super(message, facts.cause === undefined ? undefined : { cause: facts.cause })
    this.code = code
    if (facts.task !== undefined) this.task = facts.task
    if (facts.field !== undefined) this.field = facts.field
  }
}

// A task definition failed validation; `task` may be undefined when the name itself is missing.
export function invalidTask(task: string | undefined, field: string, problem: string): SchedulerError {
  const who = task === undefined ? 'A task' : `Task "${task}"`
  return new SchedulerError(ErrorCodes.TASK_INVALID, `${who}: field "${field}" ${problem}`, { task, field })
}

export function unknownTask(task: string): SchedulerError {
  return new SchedulerError(
    ErrorCodes.TASK_UNKNOWN,
    `Task "${task}" does not exist. taskList() shows the tasks this scheduler knows.`,
    { task },
  )
}

export function notBootstrapped(): SchedulerError {
  return new SchedulerError(
    ErrorCodes.NOT_BOOTSTRAPPED,
    'The scheduler has not been bootstrapped yet. Call bootstrap(tasks) first: it loads the persisted tasks.',
  )
}

export function stopped(): SchedulerError {
  return new SchedulerError(
    ErrorCodes.STOPPED,
    'The scheduler has been stopped and cannot be used again. Create a new Scheduler.',
  )
}

// The shape errors take in run records and across the wire: plain JSON, code kept when there is one.
export interface RunError {
  name: string
  message: string
  code?: string
  stack?: string
}

export function toRunError(error: unknown): RunError {
  if (error instanceof Error) {
    const out: RunError = { name: error.name, message: error.message }
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string') out.code = code
    if (error.stack !== undefined) out.stack = error.stack
    return out
  }
  if (typeof error === 'object' && error !== null && typeof (error as RunError).message === 'string') {
    const { name, message, code, stack } = error as RunError
    return { name: typeof name === 'string' ? name : 'Error', message, ...(code ? { code } : {}), ...(stack ? { stack } : {}) }
  }
  return { name: 'Error', message: String(error) }
}

// The inverse of toRunError, for errors that crossed a thread boundary as plain data.
export function restoreError(data: RunError): Error {
  const error = new Error(data.message) as Error & { code?: string }
  error.name = data.name
  if (data.code !== undefined) error.code = data.code
  if (data.stack !== undefined) error.stack = data.stack
  return error
}
