// The signed-in user. The access token lives in memory only; the refresh token is an HttpOnly
// cookie the server sets for browser sessions (X-Vanguard-Session: cookie), out of JavaScript's
// reach, so a reload renews the session through POST /v1/auth/refresh.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError, must, org, useSession } from '@/api/client'
import type { Account, Role, TokenPair } from '@/api/types'

/** The header that asks the server for a cookie session (see README, "Browser sessions"). */
export const sessionHeader = { 'X-Vanguard-Session': 'cookie' }

/** home is where a user with these roles lands after signing in: desks first, then the phone. */
export function home(roles: readonly Role[] | undefined): string {
  const r = roles ?? []
  if (r.includes('ADMIN')) return '/a'
  if (r.includes('STAFF')) return '/s'
  if (r.includes('TRAINER')) return '/t'
  if (r.includes('MEMBER')) return '/m'
  return '/403'
}

export const useAuth = defineStore('auth', () => {
  const account = ref<Account | null>(null)
  const access = ref<string | null>(null)
  let renewing: Promise<boolean> | null = null

  function take(pair: TokenPair) {
    access.value = pair.accessToken ?? null
    if (pair.account) account.value = pair.account
  }

  async function login(username: string, password: string): Promise<Account> {
    const data = await must(org.POST('/v1/auth/login', { body: { username, password }, headers: sessionHeader }))
    take(data)
    return data.account as Account
  }

  /** renew asks for a new access token with the refresh cookie; false when the session is over. */
  function renew(): Promise<boolean> {
    renewing ??= (async () => {
      try {
        const { data, response } = await org.POST('/v1/auth/refresh', { body: {}, headers: sessionHeader })
        if (!response.ok || !data) {
          access.value = null
          account.value = null
          return false
        }
        take(data)
        return true
      } catch {
        return false // offline: keep what we have, try again later
      } finally {
        renewing = null
      }
    })()
    return renewing
  }

  /** restore signs back in after a reload (refresh cookie) and loads the account. */
  async function restore(): Promise<boolean> {
    if (account.value) return true
    return renew()
  }

  async function logout(): Promise<void> {
    try {
      await org.POST('/v1/auth/logout', { body: {}, headers: sessionHeader })
    } finally {
      access.value = null
      account.value = null
    }
  }

  async function reloadMe(): Promise<void> {
    account.value = await must(org.GET('/v1/me'))
  }

  const roles = computed<Role[]>(() => account.value?.roles ?? [])
  const mustChangePassword = computed(() => account.value?.mustChangePassword === true)

  useSession({ accessToken: () => access.value, renew })

  return { account, roles, mustChangePassword, login, renew, restore, logout, reloadMe }
})

export { ApiError }
