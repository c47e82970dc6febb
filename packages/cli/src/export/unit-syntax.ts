// Values as systemd's unit-file parser reads them back (systemd.syntax(7), systemd.service(5) "Command lines"):
// every setting expands %-specifiers, ExecStart also $VARIABLES, and quotes group words.

/** A value with no specifier in it: `%` doubled. Newlines cannot be written at all. */
export function literal(value: string): string {
  if (/[\n\r]/.test(value)) throw new Error(`a unit file cannot hold a line break: ${JSON.stringify(value)}`)
  return value.replace(/%/g, '%%')
}

/** One word of ExecStart=: plain if it can be, else double-quoted with C-style escapes; `$` doubled either way. */
export function execWord(word: string): string {
  const value = literal(word).replace(/\$/g, '$$$$')
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./$-]+$/.test(value)) return value
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export function execLine(words: string[]): string {
  return words.map(execWord).join(' ')
}

/** One Environment= assignment, quoted so that spaces stay in its value. */
export function environment(name: string, value: string): string {
  return `"${literal(`${name}=${value}`).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}
