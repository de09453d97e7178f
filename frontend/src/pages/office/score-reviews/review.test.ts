import { describe, expect, it } from 'vitest'
import { checkReview, reasonLines, reviewBody } from './review'

describe('score reviews', () => {
  it('needs a resolution and a note of five characters', () => {
    expect(checkReview({ resolution: '', note: 'ok' })).toEqual({ resolution: 'resolutionRequired', note: 'noteShort' })
    expect(checkReview({ resolution: 'rescored', note: '  已按最新数据重新评分 ' })).toEqual({})
    expect(reviewBody({ resolution: 'rescored', note: '  已按最新数据重新评分 ' })).toEqual({ resolution: 'rescored', note: '已按最新数据重新评分' })
  })

  it('lists the reasons in the reader’s language, strongest first, saying which way each goes', () => {
    const reasons = [
      { feature: 'a', contribution: -0.1, text_zh: '甲', text_en: 'A', value: 1 },
      { feature: 'b', contribution: 0.4, text_zh: '乙', text_en: 'B', value: 2 },
    ]
    expect(reasonLines(reasons, 'en')).toEqual([{ text: 'B', raises: true }, { text: 'A', raises: false }])
    expect(reasonLines(reasons, 'zh-CN')[0]!.text).toBe('乙')
  })
})
