import { describe, expect, it } from 'vitest'
import type { ImportOut } from '@/api'
import { checkFile, countsOf, isFinished, remember, restore, shapeRejections } from './report'

const item = (over: Partial<ImportOut> = {}): ImportOut => ({
  id: 'a', filename: 'r.csv', status: 'done', accepted: 2, updated: 1, unchanged: 3, rejected_count: 3,
  rejected: [
    { row: 7, reason: "document_no: '穗罚1号' repeats row 2" },
    { row: 3, reason: 'uscc: the check character is X but GB 32100-2015 gives E' },
  ],
  error: null, submitted_at: '2026-12-04T06:00:00Z', finished_at: null, ...over,
})

describe('import report', () => {
  it('splits each reason into its column and message, in row order', () => {
    expect(shapeRejections(item().rejected)).toEqual([
      { row: 3, field: 'uscc', message: 'the check character is X but GB 32100-2015 gives E', duplicateOf: null },
      { row: 7, field: 'document_no', message: "'穗罚1号' repeats row 2", duplicateOf: 2 },
    ])
  })

  it('keeps a reason that names no known column whole', () => {
    expect(shapeRejections([{ row: 1, reason: 'not valid UTF-8 or GB18030' }, { row: 2, reason: 'foo: bar' }]))
      .toEqual([
        { row: 1, field: null, message: 'not valid UTF-8 or GB18030', duplicateOf: null },
        { row: 2, field: null, message: 'foo: bar', duplicateOf: null },
      ])
  })

  it('counts accepted, updated, unchanged, rejected and repeated rows, and says when the list is cut', () => {
    expect(countsOf(item())).toEqual({ accepted: 2, updated: 1, unchanged: 3, rejected: 3, duplicates: 1, listed: 2, truncated: true })
  })

  it('knows when an import is finished', () => {
    expect(isFinished('queued')).toBe(false)
    expect(isFinished('running')).toBe(false)
    expect(isFinished('done')).toBe(true)
    expect(isFinished('failed')).toBe(true)
  })
})

describe('upload', () => {
  it('refuses other file types, empty files and files over 200 MiB', () => {
    expect(checkFile({ name: 'records.CSV', size: 10 })).toBeNull()
    expect(checkFile({ name: 'records.jsonl', size: 10 })).toBeNull()
    expect(checkFile({ name: 'records.xlsx', size: 10 })).toBe('type')
    expect(checkFile({ name: 'records.csv', size: 0 })).toBe('empty')
    expect(checkFile({ name: 'records.csv', size: 200 * 1024 * 1024 + 1 })).toBe('size')
  })
})

describe('session list', () => {
  it('replaces an import by id and keeps the newest first', () => {
    const older = item({ id: 'old', submitted_at: '2026-12-01T00:00:00Z' })
    let list = remember([], older)
    list = remember(list, item({ id: 'new', status: 'queued' }))
    list = remember(list, item({ id: 'new', status: 'done' }))
    expect(list.map((i) => [i.id, i.status])).toEqual([['new', 'done'], ['old', 'done']])
  })

  it('restores only what reads as imports', () => {
    expect(restore(null)).toEqual([])
    expect(restore('not json')).toEqual([])
    expect(restore(JSON.stringify([item(), { id: 1 }])).map((i) => i.id)).toEqual(['a'])
  })
})
