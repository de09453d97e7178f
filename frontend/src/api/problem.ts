// Every failed API call becomes an ApiProblem: the RFC 9457 body the server sent, or one made
// here when the network failed or the body was not a problem document.

export interface FieldError {
  field?: string | null
  message: string
}

export class ApiProblem extends Error {
  readonly status: number
  readonly title: string
  readonly detail: string | null
  readonly errors: FieldError[]
  readonly requestId: string | null
  readonly retryAfter: number | null

  constructor(status: number, body: unknown) {
    const doc = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const title = typeof doc.title === 'string' ? doc.title : status === 0 ? 'Network error' : 'Error'
    const detail = typeof doc.detail === 'string' ? doc.detail : typeof body === 'string' && body ? body : null
    super(detail ?? title)
    this.name = 'ApiProblem'
    this.status = status
    this.title = title
    this.detail = detail
    this.errors = Array.isArray(doc.errors) ? (doc.errors as FieldError[]) : []
    this.requestId = typeof doc.request_id === 'string' ? doc.request_id : null
    this.retryAfter = typeof doc.retry_after === 'number' ? doc.retry_after : null
  }
}

export function isProblem(error: unknown, status?: number): error is ApiProblem {
  return error instanceof ApiProblem && (status === undefined || error.status === status)
}
