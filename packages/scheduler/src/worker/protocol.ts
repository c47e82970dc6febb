// What the host sends to the worker runner for one module-task run, and what comes back.
// The runner returns failures as data instead of throwing, so `code` and `name` survive the thread hop
// (structured clone keeps only message and stack of a thrown Error).

import type { MessagePort } from 'node:worker_threads'
import type { RunError } from '../errors.js'

export interface WorkerRequest {
  modulePath: string
  input: unknown
  // The host posts ABORT_MESSAGE here to abort the task's signal before the thread is terminated.
  port: MessagePort
}

export type WorkerResponse = { ok: true; result: unknown } | { ok: false; error: RunError }

export const ABORT_MESSAGE = 'svc:scheduler:abort'
