// The upload's scheduling rules, on a store kept in memory: which parts are sent, again or not,
// after a pause, a failure and a retry. The browser journey uploads through the real server.
import { describe, expect, it } from 'vitest'
import { MultipartUpload, PartError, type Plan, type Transport } from './uploader'

const MiB = 1 << 20

class Store implements Transport {
  stored = new Map<number, number>()
  puts: number[] = []
  refreshes = 0
  completed = false
  aborted = false
  /** fail[n] = how many times part n answers 500 before it succeeds. */
  fail: Record<number, number> = {}
  /** hold keeps PUTs open until release() is called. */
  hold = false
  private waiting: (() => void)[] = []
  constructor(readonly size: number, readonly partSize: number) {}

  plan(): Plan {
    const parts = []
    for (let n = 1; (n - 1) * this.partSize < this.size; n++) {
      parts.push({ number: n, url: `/blob/part/${n}?sig=${this.refreshes}`, size: Math.min(this.partSize, this.size - (n - 1) * this.partSize) })
    }
    return { uploadId: '7', partSize: this.partSize, parts }
  }
  async start() {
    return this.plan()
  }
  async refresh() {
    this.refreshes++
    return this.plan()
  }
  async put(url: string, body: Blob, onProgress: (n: number) => void, signal: AbortSignal) {
    const n = Number(/part\/(\d+)/.exec(url)?.[1])
    this.puts.push(n)
    onProgress(body.size / 2)
    if (this.hold) {
      await new Promise<void>((resolve, reject) => {
        this.waiting.push(resolve)
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
      })
    }
    if ((this.fail[n] ?? 0) > 0) {
      this.fail[n] = (this.fail[n] ?? 0) - 1
      throw new PartError(500, 'HTTP 500')
    }
    onProgress(body.size)
    this.stored.set(n, body.size)
  }
  release() {
    this.hold = false
    for (const w of this.waiting.splice(0)) w?.()
  }
  async complete() {
    if ([...this.stored.values()].reduce((a, b) => a + b, 0) !== this.size) throw new Error('parts missing')
    this.completed = true
  }
  async abort() {
    this.aborted = true
  }
}

const file = (n: number) => new Blob([new Uint8Array(n)])
const tick = () => new Promise((r) => setTimeout(r, 0))

describe('MultipartUpload', () => {
  it('sends every part once and completes', async () => {
    const s = new Store(12 * MiB, 5 * MiB)
    const u = new MultipartUpload(file(12 * MiB), s)
    await u.start()
    expect(u.state).toBe('done')
    expect(u.percent).toBe(100)
    expect([...s.puts].sort()).toEqual([1, 2, 3])
    expect(s.completed).toBe(true)
  })

  it('pauses without completing and resumes with fresh URLs, sending only what is missing', async () => {
    const s = new Store(15 * MiB, 5 * MiB)
    const u = new MultipartUpload(file(15 * MiB), s, { concurrency: 1 })
    s.hold = true
    const first = u.start()
    await tick()
    expect(u.state).toBe('uploading')
    expect(u.uploaded).toBe(2.5 * MiB) // half of part 1 in flight
    u.pause()
    await first
    expect(u.state).toBe('paused')
    expect(u.uploaded).toBe(0) // what was in flight is sent again
    expect(s.completed).toBe(false)
    s.hold = false
    await u.resume()
    expect(u.state).toBe('done')
    expect(s.refreshes).toBe(1)
    expect(s.puts).toEqual([1, 1, 2, 3])
  })

  it('retries a failed part and carries on', async () => {
    const s = new Store(10 * MiB, 5 * MiB)
    s.fail[2] = 2
    const u = new MultipartUpload(file(10 * MiB), s, { retryDelays: [0, 0, 0] })
    await u.start()
    expect(u.state).toBe('done')
    expect(u.retries).toBe(2)
    expect(s.puts.filter((n) => n === 2)).toHaveLength(3)
  })

  it('stops in error after the last retry, and retry() sends only the parts not stored', async () => {
    const s = new Store(10 * MiB, 5 * MiB)
    s.fail[2] = 3
    const u = new MultipartUpload(file(10 * MiB), s, { concurrency: 1, retryDelays: [0, 0] })
    await u.start()
    expect(u.state).toBe('error')
    expect(u.error).toBeInstanceOf(PartError)
    expect(s.completed).toBe(false)
    expect(u.uploaded).toBe(5 * MiB)
    s.puts = []
    await u.resume()
    expect(u.state).toBe('done')
    expect(s.puts).toEqual([2])
  })

  it('cancel drops the upload on the server', async () => {
    const s = new Store(10 * MiB, 5 * MiB)
    s.hold = true
    const u = new MultipartUpload(file(10 * MiB), s)
    const p = u.start()
    await tick()
    await u.cancel()
    await p
    expect(u.state).toBe('cancelled')
    expect(s.aborted).toBe(true)
    expect(s.completed).toBe(false)
  })
})
