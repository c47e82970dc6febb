// What `svc up` takes from systemd's environment (sd_notify(3)): the socket's address, whether the watchdog is this
// process's, and nothing left behind for the services it spawns.

import { describe, expect, it } from '@jest/globals'
import { notifyAddress } from '../src/supervisor/notify-socket.js'
import { takeSdNotifyEnv } from '../src/supervisor/sd-notify.js'

describe('takeSdNotifyEnv', () => {
  it('pings at half of WATCHDOG_USEC, and removes the variables so that services do not inherit them', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42', PATH: '/bin' }
    expect(takeSdNotifyEnv(env, 42)).toEqual({ socket: '/run/systemd/notify', watchdogMs: 15_000 })
    expect(env).toEqual({ PATH: '/bin' })
  })

  it('leaves the watchdog to the process WATCHDOG_PID names', () => {
    expect(takeSdNotifyEnv({ NOTIFY_SOCKET: '@n', WATCHDOG_USEC: '2000000', WATCHDOG_PID: '7' }, 42)).toEqual({ socket: '@n', watchdogMs: null })
    expect(takeSdNotifyEnv({ NOTIFY_SOCKET: '@n', WATCHDOG_USEC: '2000000' }, 42)).toEqual({ socket: '@n', watchdogMs: 1000 })
    expect(takeSdNotifyEnv({ NOTIFY_SOCKET: '@n', WATCHDOG_USEC: 'soon' }, 42)).toEqual({ socket: '@n', watchdogMs: null })
  })

  it('is null without NOTIFY_SOCKET, and still clears a stray WATCHDOG_USEC', () => {
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1000000' }
    expect(takeSdNotifyEnv(env, 42)).toBeNull()
    expect(env).toEqual({})
  })
})

describe('notifyAddress', () => {
  it('spells an abstract name with a leading NUL and no terminator, a path with one', () => {
    const abstract = notifyAddress('@sd')
    expect([...abstract.subarray(2)]).toEqual([0, 0x73, 0x64])
    expect(abstract.length).toBe(5)
    expect(notifyAddress('/run/n').subarray(2).toString('latin1')).toBe('/run/n\0')
  })

  it('refuses a relative path and one longer than sun_path', () => {
    expect(() => notifyAddress('run/n')).toThrow('NOTIFY_SOCKET must be an absolute path or start with "@"')
    expect(() => notifyAddress('/' + 'x'.repeat(120))).toThrow('longer than 108 bytes')
  })
})
