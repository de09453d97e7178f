// The one place that configures the generated client: same-origin cookies, the CSRF header on
// every unsafe request, problems as ApiProblem, and one hook for an ended session. Pages call
// the generated functions (`import { scoreScore } from '@/api'`) and never build requests.
import { client } from './generated/client.gen'
import { ApiProblem } from './problem'

export const CSRF_COOKIE = 'xyd_csrf'
export const CSRF_HEADER = 'X-CSRF-Token'
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS'])

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key === name) return decodeURIComponent(rest.join('='))
  }
  return null
}

let onSessionEnded: (() => void) | null = null

/** Called when a request that needed a session got 401: the session expired or was ended. */
export function whenSessionEnds(handler: () => void): void {
  onSessionEnded = handler
}

export function withCsrf(request: Request): Request {
  if (!SAFE.has(request.method.toUpperCase())) {
    const token = readCookie(CSRF_COOKIE)
    if (token) request.headers.set(CSRF_HEADER, token)
  }
  return request
}

const PUBLIC_401 = ['/api/v1/auth/login', '/api/v1/auth/register']

client.setConfig({ baseUrl: '', credentials: 'same-origin', throwOnError: true })
client.interceptors.request.use(withCsrf)
client.interceptors.error.use((error, response, request) => {
  const status = response?.status ?? 0
  const path = request ? new URL(request.url, window.location.origin).pathname : ''
  if (status === 401 && !PUBLIC_401.includes(path) && onSessionEnded) onSessionEnded()
  return new ApiProblem(status, error)
})

export { client }
