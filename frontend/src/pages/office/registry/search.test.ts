import { describe, expect, it } from 'vitest'
import { apiQuery, queryFromState, stateFromQuery, validDistrict } from './search'

describe('registry search', () => {
  it('reads a search from the URL and drops what the API would refuse', () => {
    expect(stateFromQuery({ q: ' 嘉和 ', district: '440106', section: 'f', page: '3' }))
      .toEqual({ q: '嘉和', district: '440106', section: 'F', page: 3 })
    expect(stateFromQuery({ district: '4401', section: 'Z', page: '-2' }))
      .toEqual({ q: '', district: '', section: '', page: 1 })
  })

  it('writes only the fields that are set into the URL', () => {
    expect(queryFromState({ q: '', district: '', section: 'C', page: 1 })).toEqual({ section: 'C' })
    expect(queryFromState({ q: '91440', district: '440104', section: '', page: 2 }))
      .toEqual({ q: '91440', district: '440104', page: '2' })
  })

  it('turns a page number into limit and offset', () => {
    expect(apiQuery({ q: 'x', district: '', section: '', page: 3 }, 20)).toEqual({ q: 'x', limit: 20, offset: 40 })
    expect(apiQuery({ q: ' ', district: '440106', section: 'F', page: 1 }, 20))
      .toEqual({ district: '440106', section: 'F', limit: 20, offset: 0 })
  })

  it('accepts an empty or six-digit district only', () => {
    expect(validDistrict('')).toBe(true)
    expect(validDistrict('440106')).toBe(true)
    expect(validDistrict('44010')).toBe(false)
    expect(validDistrict('天河区')).toBe(false)
  })
})
