import type { Bilingual, Locale, MessageTree } from './types'
import { LOCALES } from './types'

/** `../pages/sme/access-log/messages.ts` → `['sme', 'accessLog']`: a page's keys live under
 * `<role>.<page>` (kebab-case folder names become camelCase). */
export function namespaceOf(path: string): [string, string] {
  const match = /pages\/([^/]+)\/([^/]+)\/messages\.ts$/.exec(path)
  if (!match) throw new Error(`not a page messages file: ${path}`)
  const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  return [camel(match[1]), camel(match[2])]
}

/** The shell's messages with every page's merged in, per locale. */
export function collectMessages(shell: Bilingual, pages: Record<string, Bilingual>): Record<Locale, MessageTree> {
  const result = {} as Record<Locale, MessageTree>
  for (const locale of LOCALES) {
    const tree: MessageTree = structuredClone(shell[locale])
    for (const [path, messages] of Object.entries(pages)) {
      const [role, page] = namespaceOf(path)
      const roleTree = (tree[role] ??= {}) as MessageTree
      if (typeof roleTree === 'string') throw new Error(`"${role}" is a message, not a namespace`)
      roleTree[page] = messages[locale]
    }
    result[locale] = tree
  }
  return result
}

/** Every leaf key of a tree, dotted. */
export function flatKeys(tree: MessageTree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [prefix + key] : flatKeys(value, `${prefix}${key}.`),
  )
}

/** Keys present in one locale and missing in another, as `locale: key` lines. */
export function parityErrors(messages: Record<Locale, MessageTree>): string[] {
  const keys = Object.fromEntries(LOCALES.map((l) => [l, new Set(flatKeys(messages[l]))])) as Record<Locale, Set<string>>
  const errors: string[] = []
  for (const locale of LOCALES) {
    for (const other of LOCALES) {
      if (other === locale) continue
      for (const key of keys[other]) if (!keys[locale].has(key)) errors.push(`${locale}: ${key}`)
    }
  }
  for (const locale of LOCALES) {
    for (const key of keys[locale]) {
      const value = key.split('.').reduce<unknown>((node, part) => (node as MessageTree)[part], messages[locale])
      if (typeof value === 'string' && value.trim() === '') errors.push(`${locale}: ${key} is empty`)
    }
  }
  return errors
}
