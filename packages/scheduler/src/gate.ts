// Cluster mode: a gate decides which node performs a scheduled run. The scheduler only needs this one
// method; the real implementation (a NodePool from @services-cluster/nodepool) is wired in at integration.

export interface RunClaim {
  token: number
}

export interface RunGate {
  // Resolves a claim when this node should perform run `slot` of `task`, or null when another node will
  // (or the pool is changing membership and nobody runs). Every node asks with the same (task, slot).
  claim(task: string, slot: number): Promise<RunClaim | null>
}
