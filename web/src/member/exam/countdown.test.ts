import { describe, expect, it } from 'vitest'
import { Countdown, clock } from './countdown'

describe('Countdown', () => {
  it('counts from the server figure on the monotonic clock and resyncs', () => {
    let mono = 0
    const c = new Countdown(90, () => mono)
    expect(c.remaining()).toBe(90)
    mono = 30_500
    expect(c.remaining()).toBe(60)
    c.sync(45) // the server says less is left (e.g. a slow phone)
    expect(c.remaining()).toBe(45)
    mono += 45_000
    expect(c.remaining()).toBe(0)
    expect(c.expired()).toBe(true)
    mono += 10_000
    expect(c.remaining()).toBe(0)
  })
  it('ignores the device wall clock', () => {
    const realNow = Date.now
    let mono = 0
    const c = new Countdown(120, () => mono)
    Date.now = () => realNow() + 3_600_000 // the phone's clock jumps an hour
    try {
      mono = 1000
      expect(c.remaining()).toBe(119)
    } finally {
      Date.now = realNow
    }
  })
})

describe('clock', () => {
  it('formats', () => {
    expect(clock(0)).toBe('00:00')
    expect(clock(59)).toBe('00:59')
    expect(clock(61)).toBe('01:01')
    expect(clock(3600 + 62)).toBe('1:01:02')
    expect(clock(-5)).toBe('00:00')
  })
})
