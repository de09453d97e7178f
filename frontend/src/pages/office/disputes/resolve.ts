// The office's answer to a dispute, as the API wants it, and the queue's filters.
import type { DisputeResolve, Severity } from '@/api'

export type Outcome = DisputeResolve['outcome']
export const OUTCOMES: Outcome[] = ['corrected', 'upheld', 'withdrawn']
export const SEVERITIES: Severity[] = ['minor', 'general', 'serious']
/** The shortest statement the server accepts (resolution, repair note). */
export const MIN_STATEMENT = 5

export interface CorrectionForm {
  description: string
  severity: Severity | ''
  decision_date: string
  publish_until: string
  authority: string
}

export interface ResolveForm {
  outcome: Outcome | ''
  resolution: string
  correction: CorrectionForm
}

export function emptyResolveForm(): ResolveForm {
  return { outcome: '', resolution: '', correction: { description: '', severity: '', decision_date: '', publish_until: '', authority: '' } }
}

/** The corrected fields that were filled in (trimmed); the others are left as they are. */
export function correctionOf(form: CorrectionForm): NonNullable<DisputeResolve['correction']> {
  const out: NonNullable<DisputeResolve['correction']> = {}
  if (form.description.trim()) out.description = form.description.trim()
  if (form.severity) out.severity = form.severity
  if (form.decision_date) out.decision_date = form.decision_date
  if (form.publish_until) out.publish_until = form.publish_until
  if (form.authority.trim()) out.authority = form.authority.trim()
  return out
}

export type ResolveErrors = Partial<Record<'outcome' | 'resolution' | 'correction' | 'publish_until', string>>

/** What is missing before the answer can be sent: an outcome, a statement of at least five
 * characters, and for `corrected` at least one corrected field (dates in order). */
export function checkResolve(form: ResolveForm): ResolveErrors {
  const errors: ResolveErrors = {}
  if (!form.outcome) errors.outcome = 'outcomeRequired'
  if (form.resolution.trim().length < MIN_STATEMENT) errors.resolution = 'statementShort'
  if (form.outcome === 'corrected') {
    const c = correctionOf(form.correction)
    if (Object.keys(c).length === 0) errors.correction = 'correctionEmpty'
    if (c.decision_date && c.publish_until && c.publish_until < c.decision_date) errors.publish_until = 'publishBeforeDecision'
  }
  return errors
}

/** The request body; the correction goes only with `corrected`. */
export function resolveBody(form: ResolveForm): DisputeResolve {
  if (!form.outcome) throw new Error('no outcome chosen')
  const body: DisputeResolve = { outcome: form.outcome, resolution: form.resolution.trim() }
  if (form.outcome === 'corrected') body.correction = correctionOf(form.correction)
  return body
}

