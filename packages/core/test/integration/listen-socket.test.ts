// The primitive under `listen`: one socket opened in this process (never polled here), handed to several processes as
// fd 4, every one of them accepting on it. Launched directly, without a manager.

import { afterEach, describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { openListenSocket, type ListenSocket } from '../../src/container/listen-socket.js'
import { launchInline, type Launched } from '../../src/container/launch.js'
import { Spawner } from '../../src/container/spawner.js'
import { signalGroup } from '../../src/container/terminate.js'
import { parentOf } from './harness.js'

const sockets: ListenSocket[] = []
const children: Launched[] = []
const spawners: Spawner[] = []
afterEach(async () => {
  for (const child of children.splice(0)) {
    signalGroup(child.pid, 'SIGKILL')
    await child.exit
  }
  for (const s of spawners.splice(0)) await s.close()
  for (const socket of sockets.splice(0)) socket.close()
})

async function open(host = '127.0.0.1', port = 0): Promise<ListenSocket> {
  const socket = await openListenSocket('web', host, port)
  sockets.push(socket)
  return socket
}

// Answers its pid; GET /close answers, then stops accepting (this process only: the socket stays open in the others).
const SERVER = `
const http = require('http')
const server = http.createServer((req, res) => {
  res.setHeader('connection', 'close')
  res.end(String(process.pid))
  if (req.url === '/close') server.close()
})
server.listen({ fd: Number(process.env.SVC_LISTEN_FD) }, () => console.log('up'))
`

async function serve(fd: number, launch = launchInline): Promise<Launched> {
  const child = await launch(process.execPath, ['-e', SERVER], { env: { PATH: process.env.PATH ?? '' }, cwd: process.cwd(), listenFd: fd })
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('up') && resolve())
    void child.exit.then((status) => reject(new Error(`exited before listening: ${JSON.stringify(status)}`)))
  })
  return child
}

function get(port: number, path = '/'): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk))
      res.on('end', () => resolve(body))
    }).on('error', reject).end()
  })
}

describe('a shared listening socket', () => {
  test('two processes accept on the same fd: when one stops accepting, the other answers on the same port', async () => {
    const socket = await open()
    const [a, b] = [await serve(socket.fd), await serve(socket.fd)]
    const first = Number(await get(socket.port, '/close')) // whichever the kernel woke; it now stops accepting
    expect([a.pid, b.pid]).toContain(first)
    const other = first === a.pid ? b.pid : a.pid
    for (let i = 0; i < 5; i++) expect(Number(await get(socket.port))).toBe(other)
  })

  test('connections made while no process accepts wait in the backlog and are served by the next one', async () => {
    const socket = await open()
    const early = get(socket.port) // nobody accepts yet: the kernel completes the handshake and queues it
    const child = await serve(socket.fd)
    expect(Number(await early)).toBe(child.pid)
  })

  test('the spawner cannot pass the socket: a launch with one is forked in this process, and gets it', async () => {
    const spawner = new Spawner()
    spawners.push(spawner)
    expect(await spawner.whenReady()).toBe(true)
    const socket = await open()
    const child = await serve(socket.fd, (file, args, options) => spawner.launch(file, args, options))
    expect(parentOf(child.pid)).toBe(process.pid)
    expect(Number(await get(socket.port))).toBe(child.pid)
  })

  test('a port in use is SVC_ERR_PORT_IN_USE naming the service; the socket is close-on-exec and closes idempotently', async () => {
    const socket = await open()
    // O_CLOEXEC (02000000, octal in fdinfo): no process of another service inherits it by accident.
    const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${socket.fd}`, 'utf8'))![1]!
    expect(Number.parseInt(flags, 8) & 0o2000000).toBe(0o2000000)
    await expect(openListenSocket('web', '127.0.0.1', socket.port)).rejects.toMatchObject({ code: 'SVC_ERR_PORT_IN_USE', service: 'web' })
    socket.close()
    socket.close()
    const again = await open('127.0.0.1', socket.port) // closed for real: the port can be bound again
    expect(again.port).toBe(socket.port)
  })
})
