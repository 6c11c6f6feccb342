import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A fetch handler, as `createEmulator().fetch` or a Hono app's `fetch`. */
export type FetchHandler = (request: Request) => Promise<Response>

/** A handler served over HTTP on Node. */
export interface ServedHandler {
  /** `http://host:port`, with the port actually bound (useful with `port: 0`). */
  url: string
  server: Server
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>
}

/**
 * Serves a fetch handler with `node:http`. A handler that rejects (the emulator's
 * `drop-response` fault, say) gets its connection destroyed without an answer, as a lost
 * response looks to a client.
 *
 * @param handler The fetch handler.
 * @param options `host` (default `127.0.0.1`), `port` (default `0`: any free port) and
 *   `maxBodyBytes` (default 10 MiB: larger bodies get 413 before they are buffered).
 * @returns Once listening, the URL and a `close()`.
 */
export async function serve(
  handler: FetchHandler,
  options: { host?: string; port?: number; maxBodyBytes?: number } = {}
): Promise<ServedHandler> {
  const host = options.host ?? '127.0.0.1'
  const maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024
  const server = createServer((req, res) => {
    respond(handler, host, maxBodyBytes, req, res).catch(() => res.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()))
        server.closeAllConnections()
      }),
  }
}

async function respond(
  handler: FetchHandler,
  host: string,
  maxBodyBytes: number,
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength
    if (size > maxBodyBytes) return plainError(res, 413, 'Request body too large')
    chunks.push(chunk as Buffer)
  }
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const method = req.method ?? 'GET'
  const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks)
  let request: Request
  try {
    request = new Request(`http://${req.headers.host ?? host}${req.url ?? '/'}`, {
      method,
      headers,
      ...(body !== undefined && { body }),
    })
  } catch {
    // An unparsable Host or path never reaches the handler.
    return plainError(res, 400, 'Bad request')
  }
  const response = await handler(request)
  const outHeaders: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    outHeaders[name] = value
  })
  res.writeHead(response.status, outHeaders)
  res.end(Buffer.from(await response.arrayBuffer()))
}

function plainError(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
  res.end(message)
}
