// The score-review queue's filters and the office's answer to a review.
import type { ReviewResolution, ReviewResolve, ScoreReason } from '@/api'

export const RESOLUTIONS: ReviewResolution[] = ['upheld', 'rescored', 'corrected']
export const MIN_NOTE = 5


export interface ReviewForm {
  resolution: ReviewResolution | ''
  note: string
}

export type ReviewErrors = Partial<Record<'resolution' | 'note', 'resolutionRequired' | 'noteShort'>>

export function checkReview(form: ReviewForm): ReviewErrors {
  const errors: ReviewErrors = {}
  if (!form.resolution) errors.resolution = 'resolutionRequired'
  if (form.note.trim().length < MIN_NOTE) errors.note = 'noteShort'
  return errors
}

export function reviewBody(form: ReviewForm): ReviewResolve {
  if (!form.resolution) throw new Error('no resolution chosen')
  return { resolution: form.resolution, note: form.note.trim() }
}

export interface ReasonLine {
  text: string
  raises: boolean
}

/** The reasons under review in the reader's language, strongest effect first. */
export function reasonLines(reasons: ScoreReason[], locale: string): ReasonLine[] {
  return [...reasons]
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .map((r) => ({ text: locale === 'en' ? r.text_en : r.text_zh, raises: r.contribution > 0 }))
}
