// One thin typed client per service over the generated OpenAPI types: the access token in the
// Authorization header, one silent renewal with the refresh token on a 401, and the server's
// error body ({code, reason, message, metadata}) turned into an ApiError.
import createClient, { type Middleware } from 'openapi-fetch'
import type { paths as OrgPaths } from './generated/org'
import type { paths as CoursePaths } from './generated/course'
import type { paths as QuizPaths } from './generated/quiz'
import type { paths as StudyhourPaths } from './generated/studyhour'
import type { paths as GrowthPaths } from './generated/growth'
import type { paths as SearchPaths } from './generated/search'

/** ApiError is a failed call in the server's words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly metadata: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
  /** field is the request field the server named (metadata.field), if any. */
  get field(): string | undefined {
    return this.metadata.field
  }
  /** detail is what is wrong with that field (metadata.detail), for showing beside it. */
  get detail(): string {
    return this.metadata.detail || this.message
  }
}

interface ErrorBody {
  code?: number
  reason?: string
  message?: string
  metadata?: Record<string, string>
}

/** fromBody is the ApiError of a Kratos error body (already parsed) and status. */
export function fromBody(status: number, body: unknown, statusText = ''): ApiError {
  const b: ErrorBody = body && typeof body === 'object' ? (body as ErrorBody) : {}
  return new ApiError(status, b.reason ?? '', b.message || statusText || String(status), b.metadata ?? {})
}

/** Session is what the client needs of the signed-in user's tokens. */
export interface Session {
  accessToken(): string | null
  /** renew gets a new access token (true) or reports the session over (false). */
  renew(): Promise<boolean>
}

let session: Session | null = null

/** useSession wires the auth store into every client. */
export function useSession(s: Session | null): void {
  session = s
}

const retried = new WeakSet<Request>()

const auth: Middleware = {
  onRequest({ request }) {
    const token = session?.accessToken()
    if (token && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${token}`)
    }
    return request
  },
  async onResponse({ request, response }) {
    if (response.status !== 401 || !session || retried.has(request) || request.url.includes('/v1/auth/')) {
      return response
    }
    if (!(await session.renew())) {
      return response
    }
    const again = new Request(request, { headers: new Headers(request.headers) })
    again.headers.set('Authorization', `Bearer ${session.accessToken() ?? ''}`)
    retried.add(again)
    return fetch(again)
  },
}

function client<P extends {}>() {
  // Request bodies are kept by openapi-fetch's Request, so a retry after renewal resends them.
  const c = createClient<P>({ baseUrl: '', credentials: 'same-origin', fetch: (req: Request) => globalThis.fetch(req) })
  c.use(auth)
  return c
}

export const org = client<OrgPaths>()
export const course = client<CoursePaths>()
export const quiz = client<QuizPaths>()
export const studyhour = client<StudyhourPaths>()
export const growth = client<GrowthPaths>()
export const search = client<SearchPaths>()

/** must returns a call's data or throws its ApiError. */
export async function must<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call
  if (!response.ok) {
    throw fromBody(response.status, error, response.statusText)
  }
  return data as T
}
