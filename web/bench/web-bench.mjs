// `make bench` figures of the web app (reported, never asserted), against bin/vanguard started as
// in the browser tests:
//   - JavaScript and CSS a member's first pages load (login, then the member home), gzip and
//     brotli bytes as served from pkg/webui/dist;
//   - time until the lesson page and the exam page are interactive in headless Chromium with 4×
//     CPU throttling (median of 5 loads), beside the same pages unthrottled;
//   - the exam page's JavaScript heap after answering 100 questions (after a forced GC), and the
//     size of the answers kept in the browser's storage.
import { stat } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { adminPassword, api, launchBrowser, newMember, phone, startServer } from '../e2e/harness.mjs'

const dist = fileURLToPath(new URL('../../pkg/webui/dist', import.meta.url))
const server = await startServer()
const browser = await launchBrowser()
const rows = []
const row = (what, value, unit, note = '') => rows.push({ what, value, unit, note })

try {
  const [, login] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'admin', password: adminPassword })
  const admin = login.accessToken
  const call = async (path, body) => {
    const [st, out] = await api(server.url, 'POST', path, admin, body)
    if (st !== 200) throw new Error(`${path}: ${st} ${JSON.stringify(out)}`)
    return out
  }
  const org = await call('/v1/orgs', { parentId: '0', name: '基准支部', code: 'bench', type: 'BRANCH' })
  const member = await newMember(server.url, admin, org.id, 'bench1', '基准', 'Bench-pass-2026')

  const topic = await call('/v1/topics', { name: '基准' })
  const course = await call('/v1/courses', { title: '基准课程', topicId: topic.id, creditHours: 1 })
  const ch = await call(`/v1/courses/${course.id}/chapters`, { title: '第一章' })
  const lesson = await call(`/v1/chapters/${ch.id}/lessons`, { title: '图文', kind: 'ARTICLE', bodyHtml: '<p>' + '学习内容。'.repeat(400) + '</p>' })
  await call(`/v1/courses/${course.id}:publish`, {})
  await call(`/v1/courses/${course.id}/assignments`, { orgIds: [org.id], required: true })

  const bank = await call('/v1/banks', { name: '基准题库' })
  const items = []
  for (let i = 1; i <= 100; i++) {
    const q = await call(`/v1/banks/${bank.id}/questions`, { bankId: bank.id, defaultPoints: 1, type: 'SINGLE', stemHtml: `第${i}题：下列哪一项正确？`,
      options: [{ key: 'A', html: '选项甲' }, { key: 'B', html: '选项乙' }, { key: 'C', html: '选项丙' }, { key: 'D', html: '选项丁' }], answerKeys: ['A'] })
    items.push({ questionId: q.id })
  }
  const paper = await call('/v1/papers', { title: '百题', items })
  const now = Date.now()
  const exam = await call('/v1/exams', { paperId: paper.id, title: '百题测验', opensAt: new Date(now - 60_000).toISOString(),
    closesAt: new Date(now + 7_200_000).toISOString(), durationMinutes: 90, attemptsAllowed: 1, resultsPolicy: 'IMMEDIATE', targetOrgIds: [org.id] })

  const ctx = await browser.newContext(phone)
  const page = await ctx.newPage()
  const assets = new Set()
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (/\.(js|css)$/.test(u.pathname)) assets.add(u.pathname)
  })
  await page.goto(server.url + '/login?redirect=/m')
  await page.getByLabel('用户名').fill('bench1')
  await page.getByLabel('密码').fill('Bench-pass-2026')
  await page.getByRole('button', { name: '登录' }).click()
  await page.locator('[data-test=hello]').waitFor()
  await page.waitForLoadState('networkidle')
  let gz = 0
  let br = 0
  for (const a of assets) {
    gz += (await stat(dist + a + '.gz').catch(() => stat(dist + a))).size
    br += (await stat(dist + a + '.br').catch(() => stat(dist + a))).size
  }
  row('JS + CSS of a member\'s first pages (login → home), gzip', (gz / 1024).toFixed(1), 'KB', `${assets.size} files; brotli ${(br / 1024).toFixed(1)} KB; aim < 200 KB`)

  const attempt = await api(server.url, 'POST', `/v1/exams/${exam.id}/attempts`, member, {})
  const attemptId = attempt[1].id
  const cdp = await ctx.newCDPSession(page)
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  async function interactive(path, ready, rate) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate })
    const times = []
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now()
      await page.goto(server.url + path)
      await ready()
      times.push(Date.now() - t0)
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 })
    return median(times)
  }
  const lessonReady = () => page.locator('[data-test=article]').waitFor()
  const examReady = async () => {
    await page.locator('[data-test=countdown]').waitFor()
    await page.getByRole('radio').first().waitFor()
  }
  const lessonPath = `/m/courses/${course.id}/lessons/${lesson.id}`
  const examPath = `/m/attempts/${attemptId}`
  const l1 = await interactive(lessonPath, lessonReady, 1)
  const l4 = await interactive(lessonPath, lessonReady, 4)
  row('lesson page interactive, 4× CPU throttling', l4, 'ms', `unthrottled ${l1} ms (×${(l4 / l1).toFixed(1)}); navigation to the article shown, median of 5`)
  const e1 = await interactive(examPath, examReady, 1)
  const e4 = await interactive(examPath, examReady, 4)
  row('exam page interactive (100 questions), 4× CPU throttling', e4, 'ms', `unthrottled ${e1} ms (×${(e4 / e1).toFixed(1)}); until the countdown and the first question's options are shown`)

  // Answer all 100 through the page, then measure.
  await page.goto(server.url + examPath)
  await examReady()
  for (let i = 0; i < 100; i++) {
    await page.getByRole('radio', { name: /选项甲/ }).click()
    if (i < 99) await page.getByRole('button', { name: '下一题' }).click()
  }
  await page.locator('[data-test=save-state]', { hasText: '答案已保存' }).waitFor({ timeout: 60_000 })
  await cdp.send('HeapProfiler.collectGarbage')
  const heap = await cdp.send('Runtime.getHeapUsage')
  const stored = await page.evaluate((id) => (localStorage.getItem(`vanguard:attempt:${id}`) ?? '').length, attemptId)
  row('exam page JS heap, 100 questions answered', (heap.usedSize / 1024 / 1024).toFixed(1), 'MB', `after GC; total heap ${(heap.totalSize / 1024 / 1024).toFixed(1)} MB; answers kept in localStorage: ${(stored / 1024).toFixed(1)} KB`)
  await ctx.close()
} finally {
  await browser.close()
  await server.stop()
}

const w = Math.max(...rows.map((r) => r.what.length))
console.log('\nweb app figures (reported, not asserted)')
for (const r of rows) console.log(`  ${r.what.padEnd(w)}  ${String(r.value).padStart(8)} ${r.unit.padEnd(3)}  ${r.note}`)
