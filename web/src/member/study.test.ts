import { afterEach, describe, expect, it, vi } from 'vitest'
import { Tracker, duration, type Beat, type State, type Transport } from './study'

afterEach(() => vi.useRealTimers())

function recorder() {
  const beats: Beat[] = []
  const ended: string[] = []
  const t: Transport & { beats: Beat[]; ended: string[] } = {
    beats,
    ended,
    async beat(_s, b) {
      beats.push(b)
      return { creditedSeconds: 30, progress: { creditedSeconds: 30 * beats.length } }
    },
    end(s) {
      ended.push(s)
    },
  }
  return t
}

describe('Tracker', () => {
  it('beats on the timer only while playing, at once on pause, and reports the stretch before a visibility change', async () => {
    vi.useFakeTimers()
    const st: State = { position: 0, rate: 1, playing: true }
    let visible = true
    const tr = recorder()
    const replies: number[] = []
    const k = new Tracker('7', 30, () => st, (r) => replies.push(r.progress?.creditedSeconds ?? 0), tr, () => visible)
    k.start()
    st.position = 30
    await vi.advanceTimersByTimeAsync(30_000)
    st.position = 45
    st.playing = false
    await k.paused() // reports the 15 s played before the pause
    await vi.advanceTimersByTimeAsync(60_000) // paused: nothing on the timer
    expect(tr.beats.map((b) => [b.seq, b.position, b.visible])).toEqual([[1, 30, true], [2, 45, true]])
    st.playing = true
    visible = false // the page hides: the stretch before was visible
    await k.visibilityChanged()
    visible = true // it shows again: the stretch before was hidden
    await k.visibilityChanged()
    expect(tr.beats.slice(2).map((b) => b.visible)).toEqual([true, false])
    expect(replies).toEqual([30, 60, 90, 120])
    k.stop()
    k.stop()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(tr.ended).toEqual(['7'])
    expect(tr.beats).toHaveLength(4)
  })

  it('keeps heartbeats in order, one at a time, numbers each once, and clamps what the player reports', async () => {
    let active = 0
    let most = 0
    const beats: Beat[] = []
    const slow: Transport = {
      async beat(_s, b) {
        most = Math.max(most, ++active)
        await new Promise((r) => setTimeout(r, 20 - b.seq * 5)) // later beats answer faster
        beats.push(b)
        active--
        return {}
      },
      end() {},
    }
    const st: State = { position: -3, rate: 0, playing: true, pages: [2] }
    const k = new Tracker('9', 30, () => st, () => undefined, slow, () => true)
    void k.send(true)
    st.position = 10
    void k.send(true)
    st.position = 20
    await k.send(false)
    expect(most).toBe(1)
    expect(beats.map((b) => [b.seq, b.position, b.rate, b.visible])).toEqual([[1, 0, 1, true], [2, 10, 1, true], [3, 20, 1, false]])
  })
})

describe('duration', () => {
  const t = (k: string, v: Record<string, number>) => `${k}:${Object.values(v).join(',')}`
  it('formats hours, minutes and seconds', () => {
    expect([duration(4.9, t), duration(200, t), duration(3900, t), duration(-1, t)]).toEqual(['study.s:4', 'study.ms:3,20', 'study.hm:1,5', 'study.s:0'])
  })
})
