// JSON-RPC 2.0 through the gateway over real HTTP: the result, or the error object as a rejection.
import { rpc } from './rpc.ts'

export interface RpcError {
  code: number
  message: string
  data?: { code?: string }
}

let nextId = 1

export async function gatewayCall(port: number, method: string, params: unknown[] = []): Promise<any> {
  const id = nextId++
  const reply = await rpc(`http://127.0.0.1:${port}/rpc`, { jsonrpc: '2.0', id, method, params })
  if (reply.status !== 200) throw new Error(`gateway answered HTTP ${reply.status}: ${JSON.stringify(reply.body)}`)
  if (reply.body.error) throw Object.assign(new Error(reply.body.error.message), { rpc: reply.body.error as RpcError })
  return reply.body.result
}
