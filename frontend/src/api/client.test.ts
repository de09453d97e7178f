// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import { readCookie, withCsrf } from './client'
import { ApiProblem } from './problem'

describe('the API client', () => {
  it('reads a cookie by name', () => {
    expect(readCookie('xyd_csrf', 'a=1; xyd_csrf=tok%3D; b=2')).toBe('tok=')
    expect(readCookie('xyd_csrf', 'a=1')).toBeNull()
  })

  it('sends the CSRF token on unsafe requests only', () => {
    document.cookie = 'xyd_csrf=secret-token'
    const post = withCsrf(new Request('http://localhost/api/v1/x', { method: 'POST' }))
    const get = withCsrf(new Request('http://localhost/api/v1/x'))
    expect(post.headers.get('X-CSRF-Token')).toBe('secret-token')
    expect(get.headers.get('X-CSRF-Token')).toBeNull()
  })

  it('turns problem documents into ApiProblem with their fields', () => {
    const p = new ApiProblem(422, { title: 'Validation failed', status: 422, detail: 'bad', errors: [{ field: 'uscc', message: 'check digit' }], request_id: 'abc' })
    expect(p.status).toBe(422)
    expect(p.errors[0].field).toBe('uscc')
    expect(p.requestId).toBe('abc')
    expect(new ApiProblem(0, new TypeError('fetch failed')).title).toBe('Network error')
  })
})
