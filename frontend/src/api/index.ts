import './client'

export * from './generated/sdk.gen'
export type * from './generated/types.gen'
export { ApiProblem, isProblem } from './problem'
export { whenSessionEnds } from './client'
