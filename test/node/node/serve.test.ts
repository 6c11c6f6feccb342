import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServedHandler, serve } from '../../../src/node/serve.js'

let served: ServedHandler
let handled = 0

beforeAll(async () => {
  served = await serve(
    async (request) => {
      handled++
      if (request.headers.get('x-drop') !== null) throw new TypeError('dropped')
      return new Response(`${request.method} ${new URL(request.url).pathname}`, {
        headers: { 'x-echo': request.headers.get('x-echo') ?? '' },
      })
    },
    { maxBodyBytes: 1000 }
  )
})

afterAll(() => served.close())

/** A raw HTTP exchange, so malformed requests reach the server as sent. */
function raw(options: { path?: string; headers?: Record<string, string>; body?: string }) {
  const url = new URL(served.url)
  return new Promise<{ status: number; body: string } | 'closed'>((resolve) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: options.path ?? '/',
        headers: options.headers,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      }
    )
    req.on('error', () => resolve('closed'))
    req.end(options.body)
  })
}

describe('serve', () => {
  it('binds 127.0.0.1 on a free port and passes requests to the handler', async () => {
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await fetch(`${served.url}/path`, {
      method: 'POST',
      headers: { 'x-echo': 'hi' },
      body: 'x',
    })
    expect(await response.text()).toBe('POST /path')
    expect(response.headers.get('x-echo')).toBe('hi')
  })

  it('answers 413 for a body over maxBodyBytes without calling the handler', async () => {
    const before = handled
    const result = await raw({ body: 'x'.repeat(5000) })
    expect(result).not.toBe('closed')
    expect(result).toMatchObject({ status: 413 })
    expect(handled).toBe(before)
  })

  it('answers 400 for a Host that makes no URL', async () => {
    const result = await raw({ headers: { host: 'a b' } })
    expect(result).toMatchObject({ status: 400 })
  })

  it('closes the connection without an answer when the handler rejects', async () => {
    expect(await raw({ headers: { 'x-drop': '1' } })).toBe('closed')
  })
})
