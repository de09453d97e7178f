import { describe, expect, it } from 'vitest'
import { collectMessages, flatKeys, namespaceOf, parityErrors } from './collect'
import { messages } from './index'

describe('messages', () => {
  it('have every key in both Chinese and English, none of them empty', () => {
    expect(parityErrors(messages)).toEqual([])
  })

  it('put each page folder under <role>.<page>, camelCased', () => {
    expect(namespaceOf('../pages/sme/access-log/messages.ts')).toEqual(['sme', 'accessLog'])
    expect(flatKeys(messages['zh-CN'])).toContain('auth.login.title')
  })

  it('report a key that one language lacks', () => {
    const merged = collectMessages(
      { 'zh-CN': { app: { a: '甲' } }, en: { app: { a: 'A' } } },
      { '../pages/sme/x/messages.ts': { 'zh-CN': { title: '标题', extra: '多' }, en: { title: 'Title' } } },
    )
    expect(parityErrors(merged)).toEqual(['en: sme.x.extra'])
  })

  it('report an empty translation', () => {
    expect(parityErrors({ 'zh-CN': { a: ' ' }, en: { a: 'A' } })).toEqual(['zh-CN: a is empty'])
  })
})
