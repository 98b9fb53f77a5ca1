// Route access, decided before a page loads (the server still decides every call).
import type { Role } from '@/api/types'
import { home } from './auth'

export interface RouteAccess {
  /** public pages need no session (login, 404). */
  public?: boolean
  /** roles that may open the page; empty: any signed-in user. */
  roles?: readonly Role[]
}

export interface Who {
  signedIn: boolean
  roles: readonly Role[]
  mustChangePassword: boolean
}

/** decide returns where to send a user instead of the page at path, or null to let them in. */
export function decide(path: string, fullPath: string, access: RouteAccess, who: Who): string | null {
  if (access.public) {
    if (path === '/login' && who.signedIn && !who.mustChangePassword) return home(who.roles)
    return null
  }
  if (!who.signedIn) return `/login?redirect=${encodeURIComponent(fullPath)}`
  if (who.mustChangePassword && path !== '/password') return '/password'
  if (path === '/') return home(who.roles)
  if (access.roles && access.roles.length > 0 && !access.roles.some((r) => who.roles.includes(r))) return '/403'
  return null
}

/** safeRedirect keeps a post-login redirect on this site (no //host or scheme tricks). */
export function safeRedirect(raw: unknown, fallback: string): string {
  if (typeof raw !== 'string' || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return fallback
  return raw
}
