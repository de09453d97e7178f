import { baseCompile } from '@intlify/message-compiler'
import { describe, expect, it } from 'vitest'
import { collectMessages, flatKeys, namespaceOf, parityErrors } from './collect'
import { messages } from './index'

describe('messages', () => {
  it('have every key in both Chinese and English, none of them empty', () => {
    expect(parityErrors(messages)).toEqual([])
  })

  it('all compile as vue-i18n messages (a literal brace must be written {\'{\'})', () => {
    const broken: string[] = []
    for (const [locale, tree] of Object.entries(messages)) {
      const walk = (node: unknown, path: string): void => {
        if (typeof node === 'string') {
          baseCompile(node, { onError: (e) => broken.push(`${locale}: ${path}: ${e.message}`) })
        } else if (node && typeof node === 'object') {
          for (const [key, child] of Object.entries(node)) walk(child, path ? `${path}.${key}` : key)
        }
      }
      walk(tree, '')
    }
    expect(broken).toEqual([])
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
