// Shorthands for the generated schemas the pages use.
import type { components as Org } from './generated/org'

export type Account = Org['schemas']['api.org.v1.Account']
export type TokenPair = Org['schemas']['api.org.v1.TokenPair']
export type Role = NonNullable<Account['roles']>[number]
