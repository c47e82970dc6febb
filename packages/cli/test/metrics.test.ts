// `svc up --metrics [host:]port`: the option's forms, and the foreground manager serving /metrics at the printed URL.

import { afterAll, describe, expect, it } from '@jest/globals'
import { metricsArgument, metricsOption } from '../src/runtime/metrics-address.js'
import { makeProject, removeProject, startSvc, svc } from './helpers/svc.js'

const dirs: string[] = []
afterAll(async () => {
  for (const dir of dirs) await removeProject(dir)
})

describe('--metrics [host:]port', () => {
  it.each([
    ['9464', { port: 9464 }],
    ['0', { port: 0 }],
    ['0.0.0.0:9464', { port: 9464, host: '0.0.0.0' }],
    ['localhost:9464', { port: 9464, host: 'localhost' }],
    ['[::1]:9464', { port: 9464, host: '::1' }],
  ])('reads %s', (text, address) => {
    expect(metricsOption(text)).toEqual(address)
    expect(metricsArgument(address)).toBe(text) // what the background manager is given back
  })

  it.each(['', 'abc', '9464:', '70000', '::1:9464', 'host:port'])('refuses %p, saying what it expects', (text) => {
    expect(() => metricsOption(text)).toThrow(/expected \[host:\]port, such as 9464 or 0\.0\.0\.0:9464/)
  })

  it('svc up serves /metrics of every service at the URL it prints', async () => {
    const dir = makeProject({}, { hello: true })
    dirs.push(dir)
    const up = startSvc(dir, ['up', '--metrics', '127.0.0.1:0'])
    await up.until((r) => / running; control socket /.test(r.stderr), 'every service running')
    const url = /^svc: metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(up.stderr)?.[1]
    expect(url).toBeDefined()
    const text = await (await fetch(url!)).text()
    expect(text).toMatch(/^svc_service_state\{service="greeter",state="running"\} 1$/m)
    expect(text).toMatch(/^svc_service_restarts_total\{service="front"\} 0$/m)
    up.child.kill('SIGINT')
    expect((await up.exited).code).toBe(0)
    await expect(fetch(url!)).rejects.toThrow()
  })

  it('svc up --detach passes it to the background manager and reports the URL', async () => {
    const dir = makeProject({}, { hello: true })
    dirs.push(dir)
    const up = await svc(dir, ['up', '--detach', '--json', '--metrics', '127.0.0.1:0'])
    expect(up.code).toBe(0)
    const { metrics } = JSON.parse(up.stdout) as { metrics?: string }
    expect(metrics).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    expect(await (await fetch(metrics!)).text()).toMatch(/^svc_service_state\{service="front",state="running"\} 1$/m)
    expect((await svc(dir, ['down'])).code).toBe(0)
  })
})
