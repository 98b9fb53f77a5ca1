import { describe, expect, it } from 'vitest'
import { decide, safeRedirect } from './guard'
import { home } from './auth'

const member = { signedIn: true, roles: ['MEMBER'] as const, mustChangePassword: false }
const staff = { signedIn: true, roles: ['STAFF', 'MEMBER'] as const, mustChangePassword: false }
const nobody = { signedIn: false, roles: [] as const, mustChangePassword: false }

describe('decide', () => {
  it('sends the signed-out to login, keeping where they wanted to go', () => {
    expect(decide('/m/exams', '/m/exams?x=1', { roles: ['MEMBER'] }, nobody)).toBe('/login?redirect=%2Fm%2Fexams%3Fx%3D1')
  })
  it('keeps a member out of staff, trainer and admin pages', () => {
    expect(decide('/s', '/s', { roles: ['STAFF'] }, member)).toBe('/403')
    expect(decide('/t', '/t', { roles: ['TRAINER'] }, member)).toBe('/403')
    expect(decide('/a', '/a', { roles: ['ADMIN'] }, member)).toBe('/403')
    expect(decide('/m', '/m', { roles: ['MEMBER'] }, member)).toBeNull()
  })
  it('lets staff in to staff pages and members pages they also hold', () => {
    expect(decide('/s', '/s', { roles: ['STAFF'] }, staff)).toBeNull()
    expect(decide('/m', '/m', { roles: ['MEMBER'] }, staff)).toBeNull()
  })
  it('forces the password change first', () => {
    const fresh = { ...member, mustChangePassword: true }
    expect(decide('/m', '/m', { roles: ['MEMBER'] }, fresh)).toBe('/password')
    expect(decide('/password', '/password', {}, fresh)).toBeNull()
  })
  it('lands each role on its own home', () => {
    expect(decide('/', '/', {}, member)).toBe('/m')
    expect(decide('/', '/', {}, staff)).toBe('/s')
    expect(decide('/login', '/login', { public: true }, staff)).toBe('/s')
    expect(home(['TRAINER', 'MEMBER'])).toBe('/t')
    expect(home(['ADMIN', 'STAFF'])).toBe('/a')
    expect(home([])).toBe('/403')
  })
})

describe('safeRedirect', () => {
  it('accepts paths on this site only', () => {
    expect(safeRedirect('/m/exams', '/m')).toBe('/m/exams')
    expect(safeRedirect('//evil.example/x', '/m')).toBe('/m')
    expect(safeRedirect('/\\evil.example', '/m')).toBe('/m')
    expect(safeRedirect('https://evil.example', '/m')).toBe('/m')
    expect(safeRedirect(undefined, '/m')).toBe('/m')
  })
})
