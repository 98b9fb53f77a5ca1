// The lesson player's side of study-hour crediting (学时): one study session per lesson page,
// heartbeats about every interval the server asks for, and the session ended when the page goes.
// The server credits server time only and decides everything; the player reports honestly what
// happened since its previous heartbeat: the position, the playback rate, and whether the page
// was visible (Page Visibility API) during that stretch.
import { studyhour, must } from '@/api/client'
import type { components as S } from '@/api/generated/studyhour'

export type Progress = S['schemas']['api.studyhour.v1.LessonProgress']

/** State is what the page reports at a heartbeat. */
export interface State {
  position: number
  rate: number
  /** playing: a player that is paused sends nothing on the timer (its pause was reported). */
  playing: boolean
  /** pages: PDF pages seen since the previous heartbeat. */
  pages?: number[]
}

export interface Beat {
  seq: number
  position: number
  rate: number
  visible: boolean
  pages: number[]
}

export interface Reply {
  creditedSeconds?: number
  refusal?: string
  progress?: Progress
}

/** Transport sends heartbeats; the default is the studyhour API. */
export interface Transport {
  beat(session: string, b: Beat): Promise<Reply>
  end(session: string): void
}

export const api: Transport = {
  beat: (session, b) => must(studyhour.POST('/v1/study-sessions/{sessionId}/heartbeats', { params: { path: { sessionId: session } }, body: { ...b, seq: String(b.seq) } })),
  end(session) {
    // keepalive: the request outlives the page that is closing.
    void studyhour.POST('/v1/study-sessions/{sessionId}:end', { params: { path: { sessionId: session } }, body: {}, keepalive: true }).catch(() => undefined)
  },
}

/**
 * Tracker sends a session's heartbeats: on a timer while playing (or reading), at once when the
 * player pauses or ends, and at every visibility change (reporting the stretch before it:
 * visible when the page hides, hidden when it shows again). Replies go to onReply.
 */
export class Tracker {
  private seq = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private inFlight: Promise<void> = Promise.resolve()
  private stopped = false

  constructor(
    readonly session: string,
    private readonly intervalSeconds: number,
    private readonly state: () => State,
    private readonly onReply: (r: Reply) => void,
    private readonly transport: Transport = api,
    private readonly visible: () => boolean = () => document.visibilityState === 'visible',
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.state().playing) this.send(this.visible())
    }, Math.max(1, this.intervalSeconds) * 1000)
  }

  /** paused: the player paused or ended; report the playing stretch now. */
  paused(): Promise<void> {
    return this.send(this.visible())
  }

  /** visibilityChanged: report the stretch before the change. */
  visibilityChanged(): Promise<void> {
    return this.state().playing ? this.send(!this.visible()) : this.inFlight
  }

  /** send posts one heartbeat after the previous one answered (they stay in order). */
  send(visible: boolean): Promise<void> {
    if (this.stopped) return this.inFlight
    const s = this.state()
    const b: Beat = { seq: ++this.seq, position: Math.max(0, s.position), rate: s.rate > 0 ? s.rate : 1, visible, pages: s.pages ?? [] }
    this.inFlight = this.inFlight.then(async () => {
      try {
        this.onReply(await this.transport.beat(this.session, b))
      } catch {
        // A lost heartbeat is not retried: the next one covers the time (the server caps what
        // one heartbeat can earn, so nothing is gained by resending).
      }
    })
    return this.inFlight
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.timer)
    this.transport.end(this.session)
  }
}

/** duration formats seconds as 学时-friendly text: "1小时5分", "3分20秒", "4秒". */
export function duration(seconds: number, t: (k: string, v: Record<string, number>) => string): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  if (h > 0) return t('study.hm', { h, m })
  if (m > 0) return t('study.ms', { m, s: s % 60 })
  return t('study.s', { s })
}
