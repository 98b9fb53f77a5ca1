// The exam's answer buffer. Every change lands in the browser's storage first, then reaches the
// server in the background; an answer counts as saved only when the server confirms its
// version. A reload, a closed tab or a lost network loses nothing: the stored copy is merged
// with the server's on the next load and whatever the server lacks is sent again.

export interface AnswerValue {
  choices?: string[]
  text?: string
}

/** What the server answered to one save. */
export type SaveOutcome =
  | { kind: 'saved'; version: number; remainingSeconds?: number }
  /** The server holds a newer version (another tab or device): it wins. */
  | { kind: 'stale' }
  /** The attempt is closed (deadline passed, submitted): nothing more will be accepted. */
  | { kind: 'closed'; message: string }
  /** Refused for this answer (bad input): kept locally, not retried. */
  | { kind: 'refused'; message: string }
  /** Network down or server error: retried. */
  | { kind: 'retry' }

export type Sender = (questionNo: number, value: AnswerValue, version: number) => Promise<SaveOutcome>

interface Entry {
  value: AnswerValue
  version: number
  /** savedVersion is the version the server confirmed (0: none). */
  savedVersion: number
  error?: string
}

export interface BufferStatus {
  pending: number
  closed: string | null
  /** lastSaved is when the server last confirmed a save (ms since epoch, browser clock). */
  lastSaved: number | null
  errors: Record<number, string>
}

/** KeyValueStore is the part of Web Storage the buffer uses. */
export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export interface BufferOptions {
  store: KeyValueStore
  send: Sender
  now?: () => number
  /** retryDelays are the waits (ms) between tries of a failed save; the last one repeats. */
  retryDelays?: number[]
  onStatus?: (s: BufferStatus) => void
  onRemaining?: (seconds: number) => void
}

export class AnswerBuffer {
  private entries = new Map<number, Entry>()
  private inFlight = new Set<number>()
  private failures = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private closed: string | null = null
  private lastSaved: number | null = null
  private readonly key: string
  private readonly now: () => number
  private readonly delays: number[]

  constructor(readonly attemptId: string, private readonly opts: BufferOptions) {
    this.key = `vanguard:attempt:${attemptId}`
    this.now = opts.now ?? Date.now
    this.delays = opts.retryDelays ?? [1000, 2000, 5000, 10000, 20000]
    this.load()
  }

  /** value is the current answer to a question (the local one, saved or not). */
  value(no: number): AnswerValue | undefined {
    return this.entries.get(no)?.value
  }

  isSaved(no: number): boolean {
    const e = this.entries.get(no)
    return !e || e.savedVersion >= e.version
  }

  answered(no: number): boolean {
    const v = this.entries.get(no)?.value
    return !!v && ((v.choices ?? []).some((c) => c.trim() !== '') || (v.text ?? '').trim() !== '')
  }

  status(): BufferStatus {
    const errors: Record<number, string> = {}
    let pending = 0
    for (const [no, e] of this.entries) {
      if (e.savedVersion < e.version) pending++
      if (e.error) errors[no] = e.error
    }
    return { pending, closed: this.closed, lastSaved: this.lastSaved, errors }
  }

  /**
   * merge takes the server's saved answers (from the attempt view): a stored local answer newer
   * than the server's stays and is sent again; otherwise the server's is taken.
   */
  merge(server: { questionNo: number; value: AnswerValue; version: number }[]): void {
    for (const s of server) {
      const local = this.entries.get(s.questionNo)
      if (!local || local.version <= s.version) {
        this.entries.set(s.questionNo, { value: s.value, version: s.version, savedVersion: s.version })
      } else if (local.savedVersion < s.version) {
        local.savedVersion = Math.min(local.version, s.version)
      }
    }
    this.persist()
    this.kick()
  }

  /** set records an answer locally at once and schedules its save. */
  set(no: number, value: AnswerValue): void {
    if (this.closed) return
    const prev = this.entries.get(no)
    // Versions grow per question, from the browser clock but never backwards.
    const version = Math.max((prev?.version ?? 0) + 1, this.now())
    this.entries.set(no, { value, version, savedVersion: prev?.savedVersion ?? 0 })
    this.persist()
    this.kick()
  }

  /** flush sends every pending answer now and resolves when none is left or saving stops. */
  async flush(): Promise<BufferStatus> {
    this.clearTimer()
    await Promise.all([...this.entries.keys()].map((no) => this.sendOne(no)))
    return this.status()
  }

  /** online resumes saving at once (the browser's "online" event). */
  online(): void {
    this.failures = 0
    this.kick()
  }

  /** forget drops the stored copy once the attempt is submitted. */
  forget(): void {
    this.clearTimer()
    this.opts.store.removeItem(this.key)
  }

  stop(): void {
    this.clearTimer()
  }

  private kick(): void {
    if (this.closed) return
    for (const no of this.entries.keys()) void this.sendOne(no)
  }

  private async sendOne(no: number): Promise<void> {
    const e = this.entries.get(no)
    if (!e || e.savedVersion >= e.version || this.inFlight.has(no) || this.closed || e.error) return
    this.inFlight.add(no)
    const { value, version } = e
    let out: SaveOutcome
    try {
      out = await this.opts.send(no, value, version)
    } catch {
      out = { kind: 'retry' }
    } finally {
      this.inFlight.delete(no)
    }
    const cur = this.entries.get(no)
    if (!cur) return
    switch (out.kind) {
      case 'saved':
        this.failures = 0
        cur.savedVersion = Math.max(cur.savedVersion, version)
        this.lastSaved = this.now()
        if (out.remainingSeconds !== undefined) this.opts.onRemaining?.(out.remainingSeconds)
        break
      case 'stale':
        // The server keeps a newer answer than this one; if nothing changed here since, this
        // answer is settled (the next load shows the server's).
        cur.savedVersion = Math.max(cur.savedVersion, version)
        break
      case 'closed':
        this.closed = out.message
        this.clearTimer()
        break
      case 'refused':
        if (cur.version === version) cur.error = out.message
        break
      case 'retry':
        this.failures++
        this.schedule()
        break
    }
    this.persist()
    this.opts.onStatus?.(this.status())
    // Changed while the save was on its way: send the newer value.
    if (out.kind !== 'retry' && cur.savedVersion < cur.version && !this.closed && !cur.error) void this.sendOne(no)
  }

  private schedule(): void {
    if (this.timer || this.closed) return
    const delay = this.delays[Math.min(this.failures - 1, this.delays.length - 1)] ?? 1000
    this.timer = setTimeout(() => {
      this.timer = null
      this.kick()
    }, delay)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private load(): void {
    const raw = this.opts.store.getItem(this.key)
    if (!raw) return
    try {
      const stored = JSON.parse(raw) as Record<string, Entry>
      for (const [no, e] of Object.entries(stored)) {
        if (e && typeof e.version === 'number') this.entries.set(Number(no), { value: e.value ?? {}, version: e.version, savedVersion: e.savedVersion ?? 0 })
      }
    } catch {
      // unreadable: the server's copy will do
    }
  }

  private persist(): void {
    const out: Record<string, Entry> = {}
    for (const [no, e] of this.entries) out[no] = { value: e.value, version: e.version, savedVersion: e.savedVersion }
    try {
      this.opts.store.setItem(this.key, JSON.stringify(out))
    } catch {
      // storage full or disabled: the server copy still gets every save
    }
  }
}
