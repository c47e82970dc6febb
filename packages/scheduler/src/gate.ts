// Cluster mode: a gate decides which node performs a scheduled run. In the service the gate is a NodePool
// from @services-cluster/nodepool (see cluster.ts); tests use an in-memory twin.

export interface RunClaim {
  // Fencing token: larger than every token issued before for the task (passed on with `call.withRun`).
  token: number
}

export interface ClaimContext {
  // When the run was due (ms since the epoch, this node's clock). A gate may refuse a claim made too long
  // after it (NodePool: `late`, which is what keeps a slot from running twice across a Redis restart).
  scheduledAt: number
}

// The gate said no and says why (e.g. 'late', 'not-owner', 'upgrading'). 'late' is counted on its own.
export interface ClaimRefused {
  refused: string
}

export interface RunGate {
  // Resolves a claim when this node should perform run `slot` of `task`, or null / a refusal when another
  // node will (or the pool is changing membership and nobody runs). Every node asks with the same (task, slot).
  // Rejecting means the gate could not be asked (e.g. Redis failed): the run is skipped as 'claim-failed'.
  claim(task: string, slot: number, context: ClaimContext): Promise<RunClaim | ClaimRefused | null>
  // Called after each run that got a claim: false when the claim no longer holds (this node's lease lapsed
  // during the run, so another node may have been given the task meanwhile). Optional.
  confirm?(claim: RunClaim): Promise<boolean>
}

export function isRefusal(answer: RunClaim | ClaimRefused): answer is ClaimRefused {
  return typeof (answer as ClaimRefused).refused === 'string'
}
