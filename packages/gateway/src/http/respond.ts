// Small response writers so every path answers with correct headers and lengths.

import type { ServerResponse } from 'node:http'
import { serialize } from '../jsonrpc/dispatcher.js'
import { failure, type RpcErrorObject } from '../jsonrpc/protocol.js'

export function sendText(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

export const sendJson = (res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void =>
  sendText(res, status, 'application/json; charset=utf-8', body, headers)

/** An HTTP-level refusal on /rpc, still shaped as a JSON-RPC error response so clients can parse it. */
export const sendRpcError = (res: ServerResponse, status: number, error: RpcErrorObject, headers?: Record<string, string>): void =>
  sendJson(res, status, serialize(failure(null, error)), headers)

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204)
  res.end()
}
