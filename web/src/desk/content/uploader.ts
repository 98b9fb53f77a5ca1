// A resumable multipart upload of one file, driven by the course service's upload API: the server
// plans the parts and presigns a URL for each (POST /v1/lessons/{id}/uploads), the browser PUTs
// the parts straight to the object store, and the server checks and assembles them
// (POST /v1/uploads/{id}:complete). The same idea as Uppy's S3 multipart plugin in a few hundred
// lines, because our API already does the signing and the checking.
//
// Pause aborts the parts in flight (their bytes are sent again on resume); a failed part is
// retried with growing delays, with fresh URLs from GET /v1/uploads/{id} when they may have
// expired; after the last retry the upload stops in "error" and retry() carries on from the parts
// already stored.

export interface PlannedPart {
  number: number
  url: string
  size: number
}

export interface Plan {
  uploadId: string
  partSize: number
  parts: PlannedPart[]
}

/** Transport is how the upload talks to the server and the store; the page wires the real API. */
export interface Transport {
  start(): Promise<Plan>
  /** refresh re-reads the plan of a pending upload: new part URLs. */
  refresh(uploadId: string): Promise<Plan>
  /** put sends one part; it rejects with PartError on a failed response. */
  put(url: string, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void>
  complete(uploadId: string): Promise<void>
  abort(uploadId: string): Promise<void>
}

export type State = 'idle' | 'uploading' | 'paused' | 'completing' | 'done' | 'error' | 'cancelled'

export class PartError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
    this.name = 'PartError'
  }
}

export interface Options {
  /** Parts in flight at once. */
  concurrency?: number
  /** Delays before each retry of a failed part, in ms; its length is the number of retries. */
  retryDelays?: number[]
  onChange?: (u: MultipartUpload) => void
}

export class MultipartUpload {
  state: State = 'idle'
  /** Bytes the store holds or is receiving now. */
  uploaded = 0
  /** The last error, in the words of whoever failed. */
  error: unknown = null
  /** Parts retried after a failure, for the page to show. */
  retries = 0

  private plan: Plan | null = null
  private readonly done = new Set<number>()
  private readonly inFlight = new Map<number, { ctl: AbortController; loaded: number }>()
  private readonly opts: Required<Omit<Options, 'onChange'>> & Pick<Options, 'onChange'>
  private run = 0

  constructor(
    readonly file: Blob,
    private readonly transport: Transport,
    opts: Options = {},
  ) {
    this.opts = { concurrency: opts.concurrency ?? 2, retryDelays: opts.retryDelays ?? [1000, 3000, 5000], onChange: opts.onChange }
  }

  get size(): number {
    return this.file.size
  }

  get percent(): number {
    return this.size === 0 ? 0 : Math.min(100, Math.floor((this.uploaded * 100) / this.size))
  }

  get uploadId(): string {
    return this.plan?.uploadId ?? ''
  }

  /** start plans the upload and sends every part, then completes it. */
  start(): Promise<void> {
    if (this.state !== 'idle') return Promise.resolve()
    return this.go()
  }

  /** pause stops sending; the parts in flight are dropped and sent again on resume. */
  pause(): void {
    if (this.state !== 'uploading') return
    this.run++
    for (const f of this.inFlight.values()) f.ctl.abort()
    this.inFlight.clear()
    this.recount()
    this.set('paused')
  }

  /** resume carries on after pause(), or after an error from the parts not yet stored. */
  resume(): Promise<void> {
    if (this.state !== 'paused' && this.state !== 'error') return Promise.resolve()
    return this.go()
  }

  /** cancel stops and tells the server to drop the stored parts. */
  async cancel(): Promise<void> {
    this.run++
    for (const f of this.inFlight.values()) f.ctl.abort()
    this.inFlight.clear()
    this.set('cancelled')
    if (this.plan) await this.transport.abort(this.plan.uploadId).catch(() => {})
  }

  private async go(): Promise<void> {
    const run = ++this.run
    this.error = null
    this.set('uploading')
    try {
      if (!this.plan) this.plan = await this.transport.start()
      else this.plan = await this.transport.refresh(this.plan.uploadId) // fresh URLs after a pause
      if (run !== this.run) return
      const queue = this.plan.parts.filter((p) => !this.done.has(p.number))
      const worker = async () => {
        for (let p = queue.shift(); p && run === this.run; p = queue.shift()) await this.send(p, run)
      }
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, queue.length) }, worker))
      if (run !== this.run) return
      this.set('completing')
      await this.transport.complete(this.plan.uploadId)
      if (run !== this.run) return
      this.set('done')
    } catch (e) {
      if (run !== this.run) return // paused or cancelled meanwhile
      this.run++
      for (const f of this.inFlight.values()) f.ctl.abort()
      this.inFlight.clear()
      this.recount()
      this.error = e
      this.set('error')
    }
  }

  // send PUTs one part, retrying a failure after each delay (with fresh URLs after a 403, which
  // is how a store answers an expired signature).
  private async send(part: PlannedPart, run: number): Promise<void> {
    const start = (part.number - 1) * (this.plan?.partSize ?? 0)
    const body = this.file.slice(start, start + part.size)
    let url = part.url
    for (let attempt = 0; ; attempt++) {
      if (run !== this.run) return
      const ctl = new AbortController()
      const f = { ctl, loaded: 0 }
      this.inFlight.set(part.number, f)
      try {
        await this.transport.put(url, body, (loaded) => {
          if (run !== this.run) return
          f.loaded = loaded
          this.recount()
        }, ctl.signal)
        if (run !== this.run) return
        this.inFlight.delete(part.number)
        this.done.add(part.number)
        this.recount()
        return
      } catch (e) {
        if (run !== this.run) return
        this.inFlight.delete(part.number)
        this.recount()
        if (attempt >= this.opts.retryDelays.length) throw e
        this.retries++
        this.notify()
        await new Promise((r) => setTimeout(r, this.opts.retryDelays[attempt]))
        if (e instanceof PartError && e.status === 403 && this.plan) {
          this.plan = await this.transport.refresh(this.plan.uploadId)
          url = this.plan.parts.find((p) => p.number === part.number)?.url ?? url
        }
      }
    }
  }

  private recount() {
    let n = 0
    for (const p of this.plan?.parts ?? []) if (this.done.has(p.number)) n += p.size
    for (const f of this.inFlight.values()) n += f.loaded
    this.uploaded = n
    this.notify()
  }

  private set(s: State) {
    this.state = s
    this.notify()
  }

  private notify() {
    this.opts.onChange?.(this)
  }
}

/** xhrPut sends a part with XMLHttpRequest, the one browser API that reports upload progress. */
export function xhrPut(url: string, body: Blob, onProgress: (loaded: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest()
    x.open('PUT', url)
    x.upload.onprogress = (ev) => onProgress(ev.loaded)
    x.onload = () => (x.status >= 200 && x.status < 300 ? resolve() : reject(new PartError(x.status, `HTTP ${x.status}`)))
    x.onerror = () => reject(new PartError(0, 'network error'))
    x.onabort = () => reject(new DOMException('aborted', 'AbortError'))
    signal.addEventListener('abort', () => x.abort(), { once: true })
    x.send(body)
  })
}
