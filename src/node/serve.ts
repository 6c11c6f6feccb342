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
 * @param options `host` (default `127.0.0.1`) and `port` (default `0`: any free port).
 * @returns Once listening, the URL and a `close()`.
 */
export async function serve(
  handler: FetchHandler,
  options: { host?: string; port?: number } = {}
): Promise<ServedHandler> {
  const host = options.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    respond(handler, host, req, res).catch(() => res.destroy())
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
  req: IncomingMessage,
  res: ServerResponse
): Promise<void> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item)
  }
  const method = req.method ?? 'GET'
  const body = method === 'GET' || method === 'HEAD' ? undefined : Buffer.concat(chunks)
  const request = new Request(`http://${req.headers.host ?? host}${req.url ?? '/'}`, {
    method,
    headers,
    ...(body !== undefined && { body }),
  })
  const response = await handler(request)
  const outHeaders: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    outHeaders[name] = value
  })
  res.writeHead(response.status, outHeaders)
  res.end(Buffer.from(await response.arrayBuffer()))
}
