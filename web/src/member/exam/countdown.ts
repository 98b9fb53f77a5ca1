// The exam countdown runs from the server's deadline, never the device clock: each server reply
// carries the seconds left, taken against a monotonic clock (performance.now), so a phone whose
// clock is wrong, or changed mid-exam, still counts down to the server's deadline.

export class Countdown {
  private leftAtSync: number
  private syncedAt: number

  constructor(
    remainingSeconds: number,
    private readonly monotonic: () => number = () => performance.now(),
  ) {
    this.leftAtSync = remainingSeconds
    this.syncedAt = monotonic()
  }

  /** sync takes a fresher figure from the server. */
  sync(remainingSeconds: number): void {
    this.leftAtSync = remainingSeconds
    this.syncedAt = this.monotonic()
  }

  /** remaining is the whole seconds left, never below zero. */
  remaining(): number {
    const left = this.leftAtSync - (this.monotonic() - this.syncedAt) / 1000
    return Math.max(0, Math.ceil(left))
  }

  expired(): boolean {
    return this.remaining() <= 0
  }
}

/** clock formats seconds as H:MM:SS or MM:SS. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`
}
