// What Node's permission model offers on the runtime that runs the services. Services run on process.execPath, the
// manager's own binary, so the manager's flag table describes theirs: no probe process needed.

export interface PermissionModel {
  /** The flag that turns the model on, or null when this runtime has none. */
  enable: '--permission' | '--experimental-permission' | null
  /** The model governs the network (`--allow-net`, Node ≥ 25): ungranted, every socket is refused — Unix sockets
   *  and inherited socket pairs too; only stdio and Node's own IPC channel still work. */
  network: boolean
  /** What else the model denies unless granted, and no rule of ours names (native addons, WASI, …). */
  otherGrants: { flag: string; what: string }[]
}

const OTHER_GRANTS = [
  { flag: '--allow-addons', what: 'native addons' },
  { flag: '--allow-wasi', what: 'WASI' },
  { flag: '--allow-inspector', what: 'the inspector' },
  { flag: '--allow-ffi', what: 'FFI' },
]

export function permissionModel(flags: ReadonlySet<string> = process.allowedNodeEnvironmentFlags): PermissionModel {
  // '--permission' since Node 22.13 / 23.5; Node 24 rejects the old name as a "bad option".
  const enable = flags.has('--permission') ? '--permission' : flags.has('--experimental-permission') ? '--experimental-permission' : null
  return {
    enable,
    network: enable !== null && flags.has('--allow-net'),
    otherGrants: enable === null ? [] : OTHER_GRANTS.filter((grant) => flags.has(grant.flag)),
  }
}
