import { describe, expect, it } from 'vitest'
import {
  applicationTone, applyFormFor, emptyLoanEvent, applyProblems, consentChoices, consentExpiry, decisionProblems, fieldErrors, formKey, isUndecided,
  loanEventProblems, stepDetail, toApplication, toDecision, toLoanEvent, type ApplyForm, type DecisionForm,
} from './applications'

const product = { amount_min: '100000.00', amount_max: '3000000.00', term_min_months: 6, term_max_months: 36 }

describe('the application form', () => {
  it('starts inside the product’s ranges', () => {
    expect(applyFormFor(product)).toEqual({ amount: 100000, term_months: 12, purpose: '', note: '' })
    expect(applyFormFor({ ...product, term_min_months: 24 }).term_months).toBe(24)
  })

  it('refuses an amount or term outside the product, and asks for a purpose', () => {
    const form: ApplyForm = { amount: 50000, term_months: 48, purpose: '', note: '' }
    expect(applyProblems(form, product)).toEqual({ amount: 'amountOutside', term_months: 'termOutside', purpose: 'purposeRequired' })
    expect(applyProblems({ amount: 500000.123, term_months: 12, purpose: 'equipment', note: '' }, product)).toEqual({ amount: 'amountPrecision' })
    expect(applyProblems({ amount: 3000000, term_months: 36, purpose: 'equipment', note: 'x'.repeat(501) }, product)).toEqual({ note: 'noteLength' })
    expect(applyProblems({ amount: 500000, term_months: 12, purpose: 'working_capital', note: '' }, product)).toEqual({})
  })

  it('offers the authorised families and the score, in the consent pages’ order', () => {
    expect(consentChoices(['social_insurance', 'tax'])).toEqual(['tax', 'social_insurance', 'score'])
    expect(consentChoices([])).toEqual(['score'])
  })

  it('puts the consent’s expiry the chosen days ahead, never beyond 12 months', () => {
    const now = new Date('2026-12-04T08:00:00Z')
    expect(consentExpiry(90, now)).toBe('2027-03-04T08:00:00.000Z')
    expect(new Date(consentExpiry(400, now)).getTime()).toBeLessThan(new Date('2027-12-04T08:00:00Z').getTime())
  })

  it('sends yuan as text, the families in order and no empty note', () => {
    const body = toApplication('p1', 'v1', { amount: 500000, term_months: 12, purpose: 'equipment', note: '  ' }, ['score', 'tax'], '2027-03-04T08:00:00.000Z')
    expect(body).toEqual({
      product_id: 'p1', product_version_id: 'v1', amount: '500000', term_months: 12, purpose: 'equipment',
      consent: { families: ['tax', 'score'], expires_at: '2027-03-04T08:00:00.000Z' },
    })
  })
})

describe('formKey', () => {
  it('sends one key for the same body (a double click, a retry) and a new one for another body', () => {
    let n = 0
    const key = formKey(() => `k${++n}`)
    expect(key.for({ a: 1 })).toBe('k1')
    expect(key.for({ a: 1 })).toBe('k1')
    expect(key.for({ a: 2 })).toBe('k2')
    key.reset()
    expect(key.for({ a: 2 })).toBe('k3')
  })

  it('makes UUIDs by default', () => {
    expect(formKey().for({})).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('the decision form', () => {
  const approve: DecisionForm = { outcome: 'approve', amount: 480000, rate_pct: 4.35, term_months: 12, reason: '', note: '' }

  it('needs terms to approve and a reason to reject, a note for "other"', () => {
    expect(decisionProblems(approve)).toEqual({})
    expect(decisionProblems({ ...approve, amount: null, rate_pct: 40, term_months: 0 })).toEqual({ amount: 'amountRequired', annual_rate: 'rateRange', term_months: 'termRange' })
    const reject: DecisionForm = { ...approve, outcome: 'reject' }
    expect(decisionProblems(reject)).toEqual({ reason: 'reasonRequired' })
    expect(decisionProblems({ ...reject, reason: 'other' })).toEqual({ note: 'noteForOther' })
    expect(decisionProblems({ ...reject, reason: 'other', note: 'site visit failed' })).toEqual({})
  })

  it('sends the rate as a fraction and only what the outcome takes', () => {
    expect(toDecision(approve)).toEqual({ outcome: 'approve', amount: '480000', annual_rate: '0.0435', term_months: 12, note: null })
    expect(toDecision({ ...approve, outcome: 'reject', reason: 'credit_grade', note: ' low ' })).toEqual({ outcome: 'reject', reason: 'credit_grade', note: 'low' })
  })

  it('puts the server’s field errors on their fields', () => {
    expect(fieldErrors([{ field: 'amount', message: 'too much' }, { field: 'body.note', message: 'say why' }, { message: 'general' }])).toEqual({ amount: 'too much', note: 'say why' })
  })
})

describe('loan events', () => {
  const today = new Date(2026, 11, 4)
  it('dates a new event on China’s today, whatever the browser’s zone', () => {
    expect(emptyLoanEvent('repayment', new Date('2026-12-04T17:30:00Z'))).toMatchObject({ kind: 'repayment', occurred_on: '2026-12-05' })
  })

  it('asks each kind for what it carries', () => {
    expect(loanEventProblems({ kind: 'disbursed', occurred_on: '2026-12-04', amount: null, interest: null, days_overdue: null, note: '' }, today)).toEqual({ amount: 'amountRequired' })
    expect(loanEventProblems({ kind: 'overdue', occurred_on: '2026-12-04', amount: 1000, interest: null, days_overdue: null, note: '' }, today)).toEqual({ days_overdue: 'daysRange' })
    expect(loanEventProblems({ kind: 'settled', occurred_on: '', amount: null, interest: null, days_overdue: null, note: '' }, today)).toEqual({ occurred_on: 'dateRequired' })
  })

  it('sends only the fields of its kind', () => {
    expect(toLoanEvent({ kind: 'repayment', occurred_on: '2026-12-04', amount: 10000, interest: 1200.5, days_overdue: 9, note: '' }))
      .toEqual({ kind: 'repayment', occurred_on: '2026-12-04', amount: '10000', interest: '1200.5' })
    expect(toLoanEvent({ kind: 'settled', occurred_on: '2026-12-04', amount: null, interest: 3, days_overdue: null, note: 'done' }))
      .toEqual({ kind: 'settled', occurred_on: '2026-12-04', note: 'done' })
  })
})

describe('statuses and steps', () => {
  it('tells undecided applications and gives each status a tone', () => {
    expect(isUndecided({ status: 'under_review' })).toBe(true)
    expect(isUndecided({ status: 'approved' })).toBe(false)
    expect(applicationTone('rejected')).toBe('bad')
    expect(applicationTone('approved')).toBe('ok')
  })

  it('reads a step’s detail: loan events, polls and deliveries', () => {
    expect(stepDetail({ to_status: 'disbursed', detail: { event: 'disbursed', occurred_on: '2026-12-05' } })).toEqual({ key: 'event', values: { event: 'disbursed', on: '2026-12-05' } })
    expect(stepDetail({ to_status: 'delivered', detail: { channel: 'poll' } })?.key).toBe('polled')
    expect(stepDetail({ to_status: 'delivered', detail: { delivery_id: 'd1' } })?.key).toBe('delivered')
    expect(stepDetail({ to_status: 'approved', detail: { amount: '1' } })).toBeNull()
  })
})
