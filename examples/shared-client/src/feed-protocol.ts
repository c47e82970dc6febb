// The feed's wire format: one JSON object per line over TCP. Try it by hand: `nc 127.0.0.1 <feed port>`, then
// {"op":"subscribe","topic":"prices"}  {"op":"publish","topic":"prices","value":1}  {"op":"get","id":1,"key":"prices"}
//
//   client -> feed  subscribe {topic} | unsubscribe {topic} | publish {topic, value} | get {id, key}
//   feed -> client  update {topic, value} | value {id, value} | error {id?, message}
//
// A subscriber to a topic that already has a value gets it at once; `get` of an unknown key answers null.

export type ClientMessage =
  | { op: 'subscribe'; topic: string }
  | { op: 'unsubscribe'; topic: string }
  | { op: 'publish'; topic: string; value: unknown }
  | { op: 'get'; id: number; key: string }

export type FeedMessage =
  | { op: 'update'; topic: string; value: unknown }
  | { op: 'value'; id: number; value: unknown }
  | { op: 'error'; id?: number; message: string }

export function encode(message: ClientMessage | FeedMessage): string {
  return JSON.stringify(message) + '\n'
}

// Splits a byte stream into lines and hands each parsed object on; a line that is not JSON is reported, not thrown.
export function lineReader(onMessage: (message: unknown) => void, onBadLine: (line: string) => void): (chunk: string) => void {
  let buffer = ''
  return (chunk) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.trim() === '') continue
      let message: unknown
      try {
        message = JSON.parse(line)
      } catch {
        onBadLine(line)
        continue
      }
      onMessage(message)
    }
  }
}
