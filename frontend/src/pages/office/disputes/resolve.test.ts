import { describe, expect, it } from 'vitest'
import { checkResolve, emptyResolveForm, resolveBody } from './resolve'

describe('resolving a dispute', () => {
  it('needs an outcome and a statement of five characters', () => {
    expect(checkResolve(emptyResolveForm())).toEqual({ outcome: 'outcomeRequired', resolution: 'statementShort' })
    const form = { ...emptyResolveForm(), outcome: 'upheld' as const, resolution: '  经核实记录无误  ' }
    expect(checkResolve(form)).toEqual({})
    expect(resolveBody(form)).toEqual({ outcome: 'upheld', resolution: '经核实记录无误' })
  })

  it('sends a correction only with corrected, with only the fields filled in', () => {
    const form = emptyResolveForm()
    form.outcome = 'corrected'
    form.resolution = '处罚决定机关名称有误，已更正'
    expect(checkResolve(form)).toEqual({ correction: 'correctionEmpty' })
    form.correction.authority = ' 广州市市场监督管理局 '
    form.correction.severity = 'minor'
    expect(checkResolve(form)).toEqual({})
    expect(resolveBody(form)).toEqual({
      outcome: 'corrected', resolution: '处罚决定机关名称有误，已更正',
      correction: { authority: '广州市市场监督管理局', severity: 'minor' },
    })
    form.outcome = 'withdrawn'
    expect(resolveBody(form).correction).toBeUndefined()
  })

  it('refuses a publication end before the decision date', () => {
    const form = emptyResolveForm()
    Object.assign(form, { outcome: 'corrected', resolution: '日期有误已更正' })
    Object.assign(form.correction, { decision_date: '2026-03-01', publish_until: '2026-02-01' })
    expect(checkResolve(form)).toEqual({ publish_until: 'publishBeforeDecision' })
  })
})
