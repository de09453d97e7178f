import { describe, expect, it } from 'vitest'
import { readJwks, readLines } from './logic'

describe('client registration form', () => {
  it('takes a JWK Set and names what is wrong otherwise', () => {
    expect(readJwks('')).toEqual({ problem: 'empty' })
    expect(readJwks('{not json')).toEqual({ problem: 'json' })
    expect(readJwks('{"kty": "EC"}')).toEqual({ problem: 'shape' })
    expect(readJwks('{"keys": []}')).toEqual({ jwks: { keys: [] } })
  })

  it('reads redirect URIs one per line, each once', () => {
    expect(readLines(' https://a.example/cb \n\nhttps://a.example/cb\nhttps://b.example/cb')).toEqual([
      'https://a.example/cb',
      'https://b.example/cb',
    ])
  })
})
