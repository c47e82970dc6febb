// What another host sent, parsed: a message that is not JSON is null, as anything else it should not be.

export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
