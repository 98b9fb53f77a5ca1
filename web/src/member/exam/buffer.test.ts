import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AnswerBuffer, type KeyValueStore, type SaveOutcome, type Sender } from './buffer'

class MemoryStore implements KeyValueStore {
  data = new Map<string, string>()
  getItem(k: string) {
    return this.data.get(k) ?? null
  }
  setItem(k: string, v: string) {
    this.data.set(k, v)
  }
  removeItem(k: string) {
    this.data.delete(k)
  }
}

/** A server that stores versions per question, refuses stale ones, and can go offline. */
function server() {
  const saved = new Map<number, { value: unknown; version: number }>()
  const s = {
    saved,
    online: true,
    closed: false,
    calls: 0,
    send: (async (no, value, version): Promise<SaveOutcome> => {
      s.calls++
      await Promise.resolve()
      if (!s.online) throw new TypeError('Failed to fetch')
      if (s.closed) return { kind: 'closed', message: '作答时间已结束' }
      const cur = saved.get(no)
      if (cur && cur.version >= version) return { kind: 'stale' }
      saved.set(no, { value: structuredClone(value), version })
      return { kind: 'saved', version, remainingSeconds: 600 }
    }) as Sender,
  }
  return s
}

let t = 1_000_000
beforeEach(() => {
  vi.useFakeTimers()
  t = 1_000_000
})
afterEach(() => vi.useRealTimers())
const now = () => t

describe('AnswerBuffer', () => {
  it('keeps every answer in storage first and marks it saved only when the server confirms', async () => {
    const store = new MemoryStore()
    const srv = server()
    const b = new AnswerBuffer('7', { store, send: srv.send, now })
    b.set(1, { choices: ['A'] })
    expect(JSON.parse(store.getItem('vanguard:attempt:7')!)['1'].value).toEqual({ choices: ['A'] })
    expect(b.isSaved(1)).toBe(false)
    await b.flush()
    expect(b.isSaved(1)).toBe(true)
    expect(srv.saved.get(1)?.value).toEqual({ choices: ['A'] })
    expect(b.status().pending).toBe(0)
  })

  it('sends the latest value when it changed while a save was on its way', async () => {
    const srv = server()
    const b = new AnswerBuffer('7', { store: new MemoryStore(), send: srv.send, now })
    b.set(2, { text: '第一稿' })
    t++
    b.set(2, { text: '第二稿' })
    await vi.runAllTimersAsync()
    await b.flush()
    expect(srv.saved.get(2)?.value).toEqual({ text: '第二稿' })
    expect(b.isSaved(2)).toBe(true)
  })

  it('loses nothing while offline: retries with backoff and delivers once the network is back', async () => {
    const srv = server()
    srv.online = false
    const b = new AnswerBuffer('7', { store: new MemoryStore(), send: srv.send, now, retryDelays: [100, 200] })
    b.set(1, { choices: ['B'] })
    b.set(3, { choices: ['true'] })
    await vi.advanceTimersByTimeAsync(1000)
    expect(srv.saved.size).toBe(0)
    expect(b.status().pending).toBe(2)
    const callsWhileOffline = srv.calls
    expect(callsWhileOffline).toBeGreaterThan(2) // retried
    srv.online = true
    b.online()
    await b.flush()
    expect([...srv.saved.keys()].sort()).toEqual([1, 3])
    expect(b.status().pending).toBe(0)
  })

  it('survives a reload: the stored copy is merged with the server and what the server lacks is sent', async () => {
    const store = new MemoryStore()
    const srv = server()
    srv.online = false
    const before = new AnswerBuffer('9', { store, send: srv.send, now })
    before.set(1, { choices: ['A'] })
    t += 10
    before.set(2, { choices: ['C'] })
    await vi.advanceTimersByTimeAsync(10)
    before.stop()
    // Meanwhile the server got question 1 from another tab (older than the local 1? newer).
    srv.online = true
    srv.saved.set(1, { value: { choices: ['D'] }, version: t + 100 })

    const after = new AnswerBuffer('9', { store, send: srv.send, now })
    expect(after.value(2)).toEqual({ choices: ['C'] })
    after.merge([{ questionNo: 1, value: { choices: ['D'] }, version: t + 100 }])
    await after.flush()
    expect(after.value(1)).toEqual({ choices: ['D'] }) // the newer server copy wins
    expect(srv.saved.get(2)?.value).toEqual({ choices: ['C'] }) // the local-only answer was sent
    expect(after.status().pending).toBe(0)
  })

  it('versions never go backwards, even if the device clock does', () => {
    const store = new MemoryStore()
    const b = new AnswerBuffer('1', { store, send: server().send, now })
    b.set(1, { choices: ['A'] })
    const v1 = JSON.parse(store.getItem('vanguard:attempt:1')!)['1'].version
    t -= 60_000
    b.set(1, { choices: ['B'] })
    const v2 = JSON.parse(store.getItem('vanguard:attempt:1')!)['1'].version
    expect(v2).toBeGreaterThan(v1)
  })

  it('stops at a closed attempt and accepts no more changes', async () => {
    const srv = server()
    srv.closed = true
    const b = new AnswerBuffer('5', { store: new MemoryStore(), send: srv.send, now })
    b.set(1, { choices: ['A'] })
    const st = await b.flush()
    expect(st.closed).toBe('作答时间已结束')
    b.set(1, { choices: ['B'] })
    expect(b.value(1)).toEqual({ choices: ['A'] })
  })

  it('reports the remaining time the server sends with each save', async () => {
    const seen: number[] = []
    const b = new AnswerBuffer('5', { store: new MemoryStore(), send: server().send, now, onRemaining: (s) => seen.push(s) })
    b.set(1, { choices: ['A'] })
    await b.flush()
    expect(seen).toEqual([600])
  })

  it('knows which questions are answered', () => {
    const b = new AnswerBuffer('5', { store: new MemoryStore(), send: server().send, now })
    b.set(1, { choices: [] })
    b.set(2, { text: '  ' })
    b.set(3, { choices: ['', 'x'] })
    expect([1, 2, 3, 4].map((n) => b.answered(n))).toEqual([false, false, true, false])
  })
})
