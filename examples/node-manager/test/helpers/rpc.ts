// A minimal JSON-RPC client for asserting what the simulator answers, independent of the probe code.
import http from 'node:http'

export function rpc(
  url: string,
  body: unknown,
  auth?: { user: string; pass: string },
): Promise<{ status: number; body: any }> {
  const text = JSON.stringify(body)
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' }
  if (auth) headers.authorization = 'Basic ' + Buffer.from(`${auth.user}:${auth.pass}`).toString('base64')
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      let data = ''
      res.on('data', (chunk) => (data += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data ? JSON.parse(data) : undefined }))
    })
    req.on('error', reject)
    req.end(text)
  })
}
