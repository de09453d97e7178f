// Pure pieces of the SME's credit page: the trend of scores, grades and reasons in words, and
// where a human review stands.
import type { ReviewBrief, ScoreOut, ScoreReason } from '@/api'
import { ApiProblem } from '@/api/problem'

export interface TrendPoint {
  version: number
  scoredAt: string
  score: number
  grade: string
  pd: number
}

/** The scores oldest first (the history, then the latest), one point per score. */
export function trendPoints(score: ScoreOut): TrendPoint[] {
  const all = [
    ...score.history,
    { score_id: score.score_id, score: score.score, grade: score.grade, pd: score.pd, snapshot_version: score.snapshot_version, scored_at: score.scored_at },
  ]
  return all
    .map((s) => ({ version: s.snapshot_version, scoredAt: s.scored_at, score: s.score, grade: s.grade, pd: s.pd }))
    .sort((a, b) => a.version - b.version || a.scoredAt.localeCompare(b.scoredAt))
}

/** The grades the scoring model gives, best first (ml/src/xinyidai_ml/train.py). */
export const GRADES = ['AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'C'] as const

/** The i18n key of a grade's meaning, or null for a grade this page does not know. */
export function gradeKey(grade: string): string | null {
  return (GRADES as readonly string[]).includes(grade) ? `sme.dashboard.grades.${grade}` : null
}

/** A reason in the current language, with its weight as a share of the reasons' total. */
export function reasonsInWords(reasons: ScoreReason[], locale: string): { text: string; share: number }[] {
  const total = reasons.reduce((sum, r) => sum + Math.max(r.contribution, 0), 0)
  return [...reasons]
    .sort((a, b) => b.contribution - a.contribution)
    .map((r) => ({ text: locale === 'en' ? r.text_en : r.text_zh, share: total > 0 ? Math.max(r.contribution, 0) / total : 0 }))
}

export type ReviewState = 'open' | 'overdue' | 'upheld' | 'rescored' | 'corrected' | 'resolved'

/** Where a review stands; `today` is the date in China (YYYY-MM-DD). */
export function reviewState(review: ReviewBrief, today: string): ReviewState {
  if (review.status === 'open') return review.due_on < today ? 'overdue' : 'open'
  return review.resolution ?? 'resolved'
}

/** Whether the SME may ask for a (new) review: not while one of this score is open. */
export function mayRequestReview(score: ScoreOut): boolean {
  return score.review === null || score.review.status !== 'open'
}

/** Today's date in China (the server's due dates are China dates). */
export function chinaToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** A 409 from the score endpoint means no scoring model is active: to the SME, simply no
 * score yet (not an error to show). A score not yet computed is a `null` body, not an error. */
export function isNoScore(error: unknown): boolean {
  return error instanceof ApiProblem && error.status === 409
}
