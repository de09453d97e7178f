import { describe, expect, it } from 'vitest'
import type { ReviewBrief, ScoreOut } from '@/api'
import { ApiProblem } from '@/api/problem'
import { chinaToday, gradeKey, isNoScore, mayRequestReview, reasonsInWords, reviewState, trendPoints } from './dashboard'

const summary = (version: number, score: number, at: string) => ({
  score_id: `s${version}`, score, grade: 'A', pd: 0.02, model_version: 'm', snapshot_version: version, scored_at: at,
})
const score: ScoreOut = {
  enterprise_id: 'e', score_id: 's3', score: 640, grade: 'AA', pd: 0.009, model_version: 'm', snapshot_id: 'snap', snapshot_version: 3,
  scored_at: '2026-03-01T00:00:00Z', active_model: 'm', current: true, review: null,
  history: [summary(2, 610, '2026-02-01T00:00:00Z'), summary(1, 590, '2026-01-01T00:00:00Z')],
  reasons: [
    { feature: 'a', contribution: 0.1, value: null, text_zh: '甲', text_en: 'A' },
    { feature: 'b', contribution: 0.3, value: 1, text_zh: '乙', text_en: 'B' },
  ],
}
const review = (over: Partial<ReviewBrief>): ReviewBrief => ({
  id: 'r', status: 'open', resolution: null, requested_at: '2026-03-02T00:00:00Z', due_on: '2026-03-22', ...over,
})

describe('credit page', () => {
  it('draws the scores oldest first, ending with the latest', () => {
    expect(trendPoints(score).map((p) => [p.version, p.score])).toEqual([[1, 590], [2, 610], [3, 640]])
    expect(trendPoints({ ...score, history: [] })).toHaveLength(1)
  })

  it('knows the model\'s grades and no others', () => {
    expect(gradeKey('AAA')).toBe('sme.dashboard.grades.AAA')
    expect(gradeKey('C')).toBe('sme.dashboard.grades.C')
    expect(gradeKey('Z')).toBeNull()
  })

  it('gives the reasons in the current language, weightiest first, with their shares', () => {
    const en = reasonsInWords(score.reasons, 'en')
    expect(en.map((r) => r.text)).toEqual(['B', 'A'])
    expect(en[0].share).toBeCloseTo(0.75)
    expect(en[1].share).toBeCloseTo(0.25)
    expect(reasonsInWords(score.reasons, 'zh-CN').map((r) => r.text)).toEqual(['乙', '甲'])
  })

  it('says where a review stands, overdue after its due date', () => {
    expect(reviewState(review({}), '2026-03-22')).toBe('open')
    expect(reviewState(review({}), '2026-03-23')).toBe('overdue')
    expect(reviewState(review({ status: 'resolved', resolution: 'rescored' }), '2026-04-01')).toBe('rescored')
    expect(reviewState(review({ status: 'resolved', resolution: null }), '2026-04-01')).toBe('resolved')
  })

  it('lets the SME ask for a review unless one of this score is open', () => {
    expect(mayRequestReview(score)).toBe(true)
    expect(mayRequestReview({ ...score, review: review({}) })).toBe(false)
    expect(mayRequestReview({ ...score, review: review({ status: 'resolved', resolution: 'upheld' }) })).toBe(true)
  })

  it('takes the date in China and "no model active" (409) as no score yet', () => {
    expect(chinaToday(new Date('2026-03-01T17:00:00Z'))).toBe('2026-03-02')
    expect(isNoScore(new ApiProblem(409, {}))).toBe(true)
    expect(isNoScore(new ApiProblem(404, {}))).toBe(false)
    expect(isNoScore(new ApiProblem(503, {}))).toBe(false)
  })
})
