import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, fromBody, must, org, useSession } from './client'

afterEach(() => {
  vi.unstubAllGlobals()
  useSession(null)
})

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

describe('fromBody', () => {
  it('reads the server error body with its field', () => {
    const e = fromBody(400, { code: 400, reason: 'INVALID_ARGUMENT', message: '用户名不能为空', metadata: { field: 'username' } })
    expect(e).toBeInstanceOf(ApiError)
    expect([e.status, e.reason, e.message, e.field]).toEqual([400, 'INVALID_ARGUMENT', '用户名不能为空', 'username'])
  })
  it('keeps the status of a body that is not a server error', () => {
    const e = fromBody(502, '<html>bad gateway</html>', 'Bad Gateway')
    expect([e.status, e.reason, e.message]).toEqual([502, '', 'Bad Gateway'])
  })
})

describe('client', () => {
  it('sends the access token, renews once on a 401 and repeats the call with the new one', async () => {
    let token = 'old'
    const seen: string[] = []
    vi.stubGlobal('fetch', async (req: Request) => {
      const auth = req.headers.get('Authorization') ?? ''
      seen.push(auth)
      return auth === 'Bearer new' ? json(200, { id: '7', username: 'm1' }) : json(401, { code: 401, reason: 'UNAUTHENTICATED', message: '登录已过期' })
    })
    let renewals = 0
    useSession({
      accessToken: () => token,
      renew: async () => {
        renewals++
        token = 'new'
        return true
      },
    })
    const me = await must(org.GET('/v1/me'))
    expect(me.username).toBe('m1')
    expect(seen).toEqual(['Bearer old', 'Bearer new'])
    expect(renewals).toBe(1)
  })
  it('gives up when the session cannot be renewed, in the server words', async () => {
    vi.stubGlobal('fetch', async () => json(401, { code: 401, reason: 'UNAUTHENTICATED', message: '登录已过期' }))
    useSession({ accessToken: () => 'old', renew: async () => false })
    await expect(must(org.GET('/v1/me'))).rejects.toMatchObject({ status: 401, message: '登录已过期' })
  })
  it('never renews for the auth calls themselves', async () => {
    let renewals = 0
    vi.stubGlobal('fetch', async () => json(401, { code: 401, reason: 'UNAUTHENTICATED', message: '用户名或密码错误' }))
    useSession({ accessToken: () => null, renew: async () => (renewals++, true) })
    const { response } = await org.POST('/v1/auth/login', { body: { username: 'a', password: 'b' } })
    expect(response.status).toBe(401)
    expect(renewals).toBe(0)
  })
})
