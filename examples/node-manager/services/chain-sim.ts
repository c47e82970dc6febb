// The `chain-sim` service: simulated btc/ltc/eth JSON-RPC nodes on fixed loopback ports, so the example
// runs without real blockchain nodes. Control methods make a node lag, stall or go down.
import { defineService, type ServiceContext } from '@services-cluster/core/remote'
import { parseSimConfig, type SimConfig } from '../src/chain-sim/sim-config.ts'
import { startSimulation } from '../src/chain-sim/simulation.ts'

export default defineService(async (ctx: ServiceContext<Partial<SimConfig> | undefined>) => {
  const sim = await startSimulation(parseSimConfig(ctx.config))
  ctx.onClose(() => sim.close())
  ctx.log.info(`simulating ${sim.api.list().map((n) => `${n.id}@${n.port}`).join(' ')}`)
  return sim.api
})
