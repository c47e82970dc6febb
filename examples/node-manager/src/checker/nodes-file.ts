// Reads the bootstrap nodes file: `{ "nodes": [ {type, host, port, ...}, ... ] }` or a bare array.
// Every entry is validated before anything is stored, and errors point at the entry by number.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { errors } from '../errors.ts'
import { nodeHash, parseNodeInput } from './node-config.ts'
import type { ParsedNode } from './registry.ts'

export async function loadNodesFile(path: string): Promise<ParsedNode[]> {
  return (await readNodesFile(path)).nodes
}

/** The file's nodes and a hash of its content, which tells whether the store was loaded from this very file. */
export async function readNodesFile(path: string): Promise<{ nodes: ParsedNode[]; hash: string }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw errors.nodesFile(path, code === 'ENOENT' ? 'the file does not exist; fix nodesFile in the manifest.' : String(error), error)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw errors.nodesFile(path, `not valid JSON (${(error as Error).message}).`, error)
  }
  const list = Array.isArray(json) ? json : (json as { nodes?: unknown } | null)?.nodes
  if (!Array.isArray(list)) throw errors.nodesFile(path, 'expected {"nodes": [...]} or an array of nodes.')

  const name = basename(path)
  const seenIds = new Map<string, number>()
  const seenHashes = new Map<string, number>()
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16)
  const nodes = list.map((raw, index) => {
    const where = `${name}, node #${index + 1}: `
    const parsed = parseNodeInput(raw, where)
    const hash = nodeHash(parsed.type, parsed.config)
    const sameConfig = seenHashes.get(hash)
    if (sameConfig !== undefined) throw errors.invalidNode('(node)', `same type and config as node #${sameConfig}; remove one.`, where)
    seenHashes.set(hash, index + 1)
    if (parsed.id !== undefined) {
      const sameId = seenIds.get(parsed.id)
      if (sameId !== undefined) throw errors.invalidNode('id', `id "${parsed.id}" is already used by node #${sameId}.`, where)
      seenIds.set(parsed.id, index + 1)
    }
    return parsed
  })
  return { nodes, hash }
}
