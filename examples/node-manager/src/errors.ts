// Every error the node-manager example raises: one class, stable codes, structured details.
// Messages say what happened and what to do; `details` holds the values a program may branch on
// (core's serializeError carries `code` and `details` across the wire between services).

export type NodeManagerErrorCode =
  | 'SVC_ERR_NM_INVALID_NODE'
  | 'SVC_ERR_NM_INVALID_PARAMS'
  | 'SVC_ERR_NM_NODE_NOT_FOUND'
  | 'SVC_ERR_NM_DUPLICATE_NODE'
  | 'SVC_ERR_NM_NO_ONLINE_NODE'
  | 'SVC_ERR_NM_NODES_FILE'
  | 'SVC_ERR_NM_CONFIG'
  | 'SVC_ERR_NM_MANIFEST'
  | 'SVC_ERR_NM_STORE_CORRUPT'
  | 'SVC_ERR_NM_STORE_LOCKED'
  | 'SVC_ERR_NM_STORE_UNAVAILABLE'
  | 'SVC_ERR_NM_STORE_CLOSED'
  | 'SVC_ERR_NM_PROBE_TIMEOUT'
  | 'SVC_ERR_NM_PROBE_ABORTED'
  | 'SVC_ERR_NM_PROBE_UNREACHABLE'
  | 'SVC_ERR_NM_PROBE_AUTH'
  | 'SVC_ERR_NM_PROBE_HTTP'
  | 'SVC_ERR_NM_PROBE_BAD_RESPONSE'
  | 'SVC_ERR_NM_PROBE_RPC'
  | 'SVC_ERR_NM_SIM_UNKNOWN_NODE'
  | 'SVC_ERR_NM_SIM_CONFIG'
  | 'SVC_ERR_NM_SIM_BAD_CALL'

export type ErrorFacts = Record<string, string | number | boolean | null | undefined>

export class NodeManagerError extends Error {
  override name = 'NodeManagerError'
  constructor(
    readonly code: NodeManagerErrorCode,
    message: string,
    readonly details: ErrorFacts = {},
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function isNodeManagerError(value: unknown, code?: NodeManagerErrorCode): value is NodeManagerError {
  return value instanceof NodeManagerError && (code === undefined || value.code === code)
}

// Duck-typed: errors from Node core may come from another realm (Jest's vm), failing instanceof.
const messageOf = (cause: unknown): string =>
  typeof (cause as Error | undefined)?.message === 'string' ? (cause as Error).message : String(cause)

const err = (code: NodeManagerErrorCode, message: string, details?: ErrorFacts, cause?: unknown) =>
  new NodeManagerError(code, message, details, cause === undefined ? undefined : { cause })

// `where` prefixes a message with its origin ("nodes.json, node #3: ") so file errors point at the entry.
export const errors = {
  // The gateway answers a code ending in _INVALID_PARAMS with JSON-RPC's -32602.
  invalidParams: (method: string, problem: string) =>
    err('SVC_ERR_NM_INVALID_PARAMS', `Invalid params for checker.${method}: ${problem}`, { method }),
  invalidNode: (field: string, problem: string, where = '') =>
    err('SVC_ERR_NM_INVALID_NODE', `${where}Invalid node config: ${problem}`, { field }),
  nodeNotFound: (idOrHash: string) =>
    err(
      'SVC_ERR_NM_NODE_NOT_FOUND',
      `No node has the id or hash "${idOrHash}". Call getNodes() to list the known ids and hashes.`,
      { idOrHash },
    ),
  duplicateNode: (existingId: string, hash: string) =>
    err(
      'SVC_ERR_NM_DUPLICATE_NODE',
      `Node "${existingId}" already has this exact config (hash ${hash.slice(0, 12)}…). ` +
        'Update that node instead, or change the config.',
      { existingId, hash },
    ),
  duplicateId: (id: string) =>
    err('SVC_ERR_NM_DUPLICATE_NODE', `A node with id "${id}" already exists. Pick another id or update "${id}".`, {
      existingId: id,
    }),
  noOnlineNode: (type: string, counts: string) =>
    err(
      'SVC_ERR_NM_NO_ONLINE_NODE',
      `No online "${type}" node (${counts}). Run check() to refresh, or add a reachable node.`,
      { type },
    ),
  nodesFile: (path: string, problem: string, cause?: unknown) =>
    err('SVC_ERR_NM_NODES_FILE', `Cannot load nodes file "${path}": ${problem}`, { path }, cause),
  config: (service: string, problem: string) =>
    err('SVC_ERR_NM_CONFIG', `Service "${service}" has an invalid config: ${problem}`, { service }),
  manifest: (variable: string, problem: string) =>
    err('SVC_ERR_NM_MANIFEST', `The node-manager manifest cannot use ${variable}: ${problem}`, { variable }),
  storeCorrupt: (path: string, line: number, cause?: unknown) =>
    err(
      'SVC_ERR_NM_STORE_CORRUPT',
      `Store file "${path}" is damaged at line ${line} (not the last line, so not a torn write). ` +
        'Move the file aside and call bootstrap() to reload the nodes file, or repair that line by hand.',
      { path, line },
      cause,
    ),
  storeLocked: (path: string, pid: number) =>
    err(
      'SVC_ERR_NM_STORE_LOCKED',
      `Store file "${path}" is in use by process ${pid}. Only one checker may write a file store; ` +
        'stop the other one, or use the redis store to share nodes between checkers.',
      { path, pid },
    ),
  storeUnavailable: (url: string, cause?: unknown) =>
    err(
      'SVC_ERR_NM_STORE_UNAVAILABLE',
      `Redis store at ${url} is not reachable${cause === undefined ? '' : ` (${messageOf(cause)})`}. ` +
        'Start Redis or fix store.url in the manifest.',
      { url },
      cause,
    ),
  storeClosed: (kind: string) =>
    err('SVC_ERR_NM_STORE_CLOSED', `The ${kind} store is closed; this call came after the checker closed.`, { kind }),
  probeTimeout: (node: string, ms: number) =>
    err('SVC_ERR_NM_PROBE_TIMEOUT', `Node "${node}" did not answer within ${ms} ms.`, { node, timeoutMs: ms }),
  probeAborted: (node: string) =>
    err('SVC_ERR_NM_PROBE_ABORTED', `Probe of node "${node}" was cancelled because the checker is closing.`, { node }),
  probeUnreachable: (node: string, url: string, cause: unknown) =>
    err(
      'SVC_ERR_NM_PROBE_UNREACHABLE',
      `Node "${node}" at ${url} is unreachable (${messageOf(cause)}).`,
      { node, url },
      cause,
    ),
  probeAuth: (node: string, status: number) =>
    err(
      'SVC_ERR_NM_PROBE_AUTH',
      `Node "${node}" rejected the credentials (HTTP ${status}). Check its user and pass.`,
      { node, status },
    ),
  probeHttp: (node: string, status: number) =>
    err('SVC_ERR_NM_PROBE_HTTP', `Node "${node}" answered HTTP ${status} instead of a JSON-RPC result.`, {
      node,
      status,
    }),
  probeBadResponse: (node: string, problem: string) =>
    err('SVC_ERR_NM_PROBE_BAD_RESPONSE', `Node "${node}" sent an unusable answer: ${problem}.`, { node }),
  probeRpc: (node: string, method: string, rpcCode: unknown, rpcMessage: unknown) =>
    err(
      'SVC_ERR_NM_PROBE_RPC',
      `Node "${node}" answered ${method} with JSON-RPC error ${String(rpcCode)}: ${String(rpcMessage)}.`,
      { node, method, rpcCode: typeof rpcCode === 'number' ? rpcCode : null },
    ),
  simUnknownNode: (id: string, known: string[]) =>
    err(
      'SVC_ERR_NM_SIM_UNKNOWN_NODE',
      `No simulated node "${id}". Known: ${known.length ? known.join(', ') : '(none)'}.`,
      { id },
    ),
  simConfig: (problem: string) => err('SVC_ERR_NM_SIM_CONFIG', `Invalid chain-sim config: ${problem}`),
  simBadCall: (method: string, problem: string) => err('SVC_ERR_NM_SIM_BAD_CALL', `chain-sim ${method}(): ${problem}`, { method }),
}
