// A process and all its descendants, from /proc/<pid>/task/<tid>/children (Linux). A contained service's whole tree
// descends from its group leader: in its PID namespace even a detached grandchild is re-parented to the
// namespace's init, which is the leader's child. Elsewhere only the process itself is known.

import { readdir, readFile } from 'node:fs/promises'

export async function processTree(root: number): Promise<number[]> {
  if (process.platform !== 'linux') return [root]
  const tree: number[] = []
  let level = [root]
  while (level.length > 0) {
    tree.push(...level)
    const children = await Promise.all(level.map(childrenOf))
    level = children.flat()
  }
  return tree
}

async function childrenOf(pid: number): Promise<number[]> {
  let tasks: string[]
  try {
    tasks = await readdir(`/proc/${pid}/task`)
  } catch {
    return [] // gone meanwhile
  }
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')))
  return lists.flatMap((list) => list.split(' ').filter(Boolean).map(Number))
}
