// Browser journeys against the real standalone binary. One server and one browser for the file.
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { adminPassword, api, axe, desktop, fixture, launchBrowser, newMember, phone, shot, startServer, uploadMedia, watch } from './harness.mjs'

let server, browser, admin, member
const memberPassword = 'Member-first-2026'
const memberNewPassword = 'Member-own-2026'

before(async () => {
  ;[server, browser] = await Promise.all([startServer(), launchBrowser()])
  const [st, login] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'admin', password: adminPassword })
  assert.equal(st, 200, JSON.stringify(login))
  admin = login.accessToken
  const [so, org] = await api(server.url, 'POST', '/v1/orgs', admin, { parentId: '0', name: '第一党支部', code: 'e2e-branch', type: 'BRANCH' })
  assert.equal(so, 200, JSON.stringify(org))
  const [sa, acct] = await api(server.url, 'POST', '/v1/accounts', admin,
    { username: 'zhangsan', displayName: '张三', password: memberPassword, roles: ['MEMBER'], orgId: org.id })
  assert.equal(sa, 200, JSON.stringify(acct))
  // Staff set the password: the member must choose their own at first sign-in.
  const [sr, reset] = await api(server.url, 'POST', `/v1/accounts/${acct.id}/password`, admin, { newPassword: memberPassword })
  assert.equal(sr, 200, JSON.stringify(reset))
  member = acct
})

after(async () => {
  await browser?.close()
  await server?.stop()
})

// loadedScripts returns the text of every script the page has loaded so far.
async function loadedScripts(page) {
  const urls = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((u) => /\.m?js$/.test(u)))
  return Promise.all(urls.map(async (u) => (await fetch(u)).text()))
}

// usesElementPlus reports whether any loaded script holds Element Plus components (their names
// survive minification).
async function usesElementPlus(page) {
  return (await loadedScripts(page)).some((js) => js.includes('"ElButton"') || js.includes('ElConfigProvider'))
}

/** signIn opens a context (a desktop, or the device given) signed in as username, on the page matching home. */
async function signIn(username, pw, home, device = desktop) {
  const ctx = await browser.newContext(device)
  const page = await ctx.newPage()
  const problems = watch(page)
  await page.goto(server.url + '/login')
  await page.getByLabel('用户名').fill(username)
  await page.getByLabel('密码').fill(pw)
  await page.getByRole('button', { name: '登录' }).click()
  await page.waitForURL(home)
  return { ctx, page, problems }
}

async function checkPage(page, problems, name) {
  // Dialogs and messages fade in and out: check (and photograph) the page as it settles. Vue
  // starts a leaving element's transition a frame or two after the change (a popconfirm closing
  // after its button), so wait two frames for it to register before waiting for it to end.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))))
  await shot(page, name)
  assert.deepEqual(await axe(page), [], `axe on ${name}`)
  assert.deepEqual(problems, [], `CSP or script errors on ${name}`)
}

describe('a member on a phone', () => {
  it('signs in, is made to choose a password, lands on the member home, stays signed in across a reload, and is kept out of desk pages', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)

    await page.goto(server.url + '/m')
    await page.waitForURL(/\/login\?redirect=(%2F|\/)m$/)
    await page.getByRole('heading', { name: '先锋学习平台' }).waitFor()
    await checkPage(page, problems, 'login-375')

    // A wrong password: the server's words.
    await page.getByLabel('用户名').fill('zhangsan')
    await page.getByLabel('密码').fill('wrong-password')
    await page.getByRole('button', { name: '登录' }).click()
    await page.locator('[data-test=login-error]').waitFor()

    await page.getByLabel('密码').fill(memberPassword)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/password$/)
    await page.getByText('首次登录请先设置新密码').waitFor()
    await checkPage(page, problems, 'password-forced-375')
    await page.getByLabel('当前密码').fill(memberPassword)
    await page.getByLabel('新密码', { exact: true }).fill(memberNewPassword)
    await page.getByLabel('再次输入新密码').fill(memberNewPassword)
    await page.getByRole('button', { name: '确认修改' }).click()
    await page.waitForURL(/\/login/)

    await page.getByLabel('用户名').fill('zhangsan')
    await page.getByLabel('密码').fill(memberNewPassword)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    await page.getByText('你好，张三').waitFor()
    await checkPage(page, problems, 'member-home-375')
    // The phone never downloads the desk's component library.
    assert.equal(await usesElementPlus(page), false, 'the member home loaded Element Plus')

    // The refresh token is an HttpOnly cookie: a reload keeps the session, and scripts cannot read it.
    assert.equal(await page.evaluate(() => document.cookie.includes('vg_refresh')), false)
    const cookies = await ctx.cookies()
    const refresh = cookies.find((c) => c.name === 'vg_refresh')
    assert.ok(refresh?.httpOnly && refresh.sameSite === 'Strict' && refresh.path === '/v1/auth', JSON.stringify(refresh))
    await page.reload()
    await page.getByText('你好，张三').waitFor()

    // Staff, trainer and admin pages: the 403 page, and the API refuses the calls behind them.
    for (const path of ['/a', '/s', '/t']) {
      await page.goto(server.url + path)
      await page.locator('[data-test=forbidden]').waitFor()
    }
    await checkPage(page, problems, 'forbidden-375')
    const [, pair] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'zhangsan', password: memberNewPassword })
    const [status] = await api(server.url, 'GET', '/v1/accounts', pair.accessToken)
    assert.equal(status, 403)

    await page.goto(server.url + '/m/no-such-page')
    await page.locator('[data-test=not-found]').waitFor()
    await checkPage(page, problems, 'not-found-375')

    // Sign out: the cookie is gone and the member pages need a new sign-in.
    await page.goto(server.url + '/m')
    await page.getByRole('button', { name: '退出登录' }).click()
    await page.waitForURL(/\/login/)
    assert.equal((await ctx.cookies()).find((c) => c.name === 'vg_refresh'), undefined)
    await page.goto(server.url + '/m')
    await page.waitForURL(/\/login\?redirect=/)
    await ctx.close()
  })

  it('sees the lockout message after too many wrong passwords', async () => {
    for (let i = 0; i < 10; i++) {
      await api(server.url, 'POST', '/v1/auth/login', null, { username: 'locked-user', password: `guess-${i}` })
    }
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('locked-user')
    await page.getByLabel('密码').fill('whatever-1')
    await page.getByRole('button', { name: '登录' }).click()
    const msg = await page.locator('[data-test=login-error]').textContent()
    const [, body] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'locked-user', password: 'x' })
    // The seconds left tick between the two requests.
    const seconds = (m) => m.replace(/\d+/g, 'N')
    assert.match(body.message, /登录失败次数过多/)
    assert.equal(seconds(msg?.trim() ?? ''), seconds(body.message), 'the page shows the server message')
    await ctx.close()
  })
})

describe('staff and admins at a desk', () => {
  it('an admin lands on the admin desk', async () => {
    const ctx = await browser.newContext(desktop)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await checkPage(page, problems, 'login-1440')
    // By keyboard: the skip link first, then the fields, each with a visible focus ring.
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link')
    await page.keyboard.press('Tab')
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username')
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)
    assert.notEqual(ring, 'none', 'focused field shows a focus ring')
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill(adminPassword)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/a$/)
    await page.locator('[data-test=desk-title]', { hasText: '管理员工作台' }).waitFor()
    await checkPage(page, problems, 'admin-desk-1440')
    await ctx.close()
  })

  it('an admin keeps the topic list: adds, and deletes only a topic no course uses', async () => {
    const [, login] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'admin', password: adminPassword })
    const [, used] = await api(server.url, 'POST', '/v1/topics', login.accessToken, { name: '党风廉政' })
    await api(server.url, 'POST', '/v1/courses', login.accessToken, { title: '廉洁教育', topicId: used.id })
    const ctx = await browser.newContext(desktop)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('admin')
    await page.getByLabel('密码').fill(adminPassword)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/a$/)
    await page.getByRole('menuitem', { name: '专题管理' }).click()
    await page.locator('[data-test=topic-name]').fill('基层党建')
    await page.locator('[data-test=topic-create]').click()
    // Topic names are in inputs (renamed in place): read their values.
    const names = () => page.locator('[data-test=topic-table] tbody input[maxlength="32"]').evaluateAll((els) => els.map((e) => e.value))
    const rowOf = async (name) => page.locator('[data-test=topic-table] tbody tr').nth((await names()).indexOf(name))
    await page.waitForFunction(() => [...document.querySelectorAll('[data-test=topic-table] tbody input')].some((e) => e.value === '基层党建'))
    await checkPage(page, problems, 'topics-1440')
    await (await rowOf('党风廉政')).locator('[data-test=topic-delete]').click()
    await page.locator('[data-test=topic-error]', { hasText: '还有课程属于该专题' }).waitFor()
    await (await rowOf('基层党建')).locator('[data-test=topic-delete]').click()
    await page.waitForFunction(() => ![...document.querySelectorAll('[data-test=topic-table] tbody input')].some((e) => e.value === '基层党建'))
    assert.ok((await names()).includes('党风廉政'))
    await ctx.close()
  })
})


describe('a member takes an exam on a phone', () => {
  let examId, token, orgName, branchId
  const password = 'Lisi-pass-2026'

  before(async () => {
    const [, orgs] = await api(server.url, 'GET', '/v1/orgs', admin)
    const orgId = orgs.orgs[0].id
    branchId = orgId
    orgName = orgs.orgs[0].name
    token = await newMember(server.url, admin, orgId, 'lisi', '李四', password)

    const call = async (path, body) => {
      const [st, out] = await api(server.url, 'POST', path, admin, body)
      assert.equal(st, 200, `${path}: ${JSON.stringify(out)}`)
      return out
    }
    const bank = await call('/v1/banks', { name: '党史题库' })
    const q = (body) => call(`/v1/banks/${bank.id}/questions`, { bankId: bank.id, defaultPoints: 2, ...body })
    const single = await q({ type: 'SINGLE', stemHtml: '中国共产党成立于哪一年？', answerKeys: ['B'],
      options: [{ key: 'A', html: '1919年' }, { key: 'B', html: '1921年' }, { key: 'C', html: '1927年' }] })
    const tf = await q({ type: 'TRUE_FALSE', stemHtml: '党的最高领导机关是党的全国代表大会和它所产生的中央委员会。', answerKeys: ['true'] })
    const fill = await q({ type: 'FILL_BLANK', stemHtml: '____年，中国共产党成立。', blanks: [{ accepted: ['1921'] }] })
    const paper = await call('/v1/papers', { title: '党史测验', items: [single, tf, fill].map((x) => ({ questionId: x.id })) })
    const now = Date.now()
    const exam = await call('/v1/exams', { paperId: paper.id, title: '党史知识测验', opensAt: new Date(now - 60_000).toISOString(),
      closesAt: new Date(now + 3_600_000).toISOString(), durationMinutes: 30, attemptsAllowed: 1, resultsPolicy: 'IMMEDIATE', passMark: 4,
      targetOrgIds: [orgId] })
    examId = exam.id

    // A required course with one article lesson, published and assigned to the member's org.
    const topic = await call('/v1/topics', { name: '党史' })
    const course = await call('/v1/courses', { title: '党史学习教育', topicId: topic.id, creditHours: 1.5, summary: '百年党史' })
    const ch = await call(`/v1/courses/${course.id}/chapters`, { title: '第一章 开天辟地' })
    await call(`/v1/chapters/${ch.id}/lessons`, { title: '中国共产党的诞生', kind: 'ARTICLE', bodyHtml: '<p>1921年7月，中国共产党第一次全国代表大会召开。</p>' })
    // Media lessons with real files (ffmpeg-made H.264/AAC MP4, MP3, and a PDF), probed by the server.
    const ch2 = await call(`/v1/courses/${course.id}/chapters`, { title: '第二章 视听学习' })
    const media = [['VIDEO', '红船精神（视频）', 'lesson.mp4', 'video/mp4'], ['AUDIO', '党史故事（音频）', 'lesson.mp3', 'audio/mpeg'],
      ['DOCUMENT', '学习材料（PDF）', 'lesson.pdf', 'application/pdf']]
    await Promise.all(media.map(async ([kind, title, file, type]) => {
      const lesson = await call(`/v1/chapters/${ch2.id}/lessons`, { title, kind })
      await uploadMedia(server.url, admin, course.id, lesson.id, file, type, await fixture(file))
    }))
    await call(`/v1/courses/${course.id}:publish`, {})
    await call(`/v1/courses/${course.id}/assignments`, { orgIds: [orgId], required: true, dueDate: '2026-12-31' })

    // News of the member's branch, one pinned, and this month's study plan pointing at the course.
    await call('/v1/news', { orgId, title: '支部召开主题党日活动', bodyHtml: '<p>全体党员参加了<b>主题党日</b>活动。</p>',
      publishAt: new Date(now - 7_200_000).toISOString() })
    await call('/v1/news', { orgId, title: '关于开展党史学习教育的通知', pinned: true, bodyHtml: '<p>请各位党员按时完成学习。</p>',
      publishAt: new Date(now - 86_400_000).toISOString() })
    const d = new Date(now)
    const p2 = (n) => String(n).padStart(2, '0')
    const first = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-01`
    const last = `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(new Date(d.getFullYear(), d.getMonth() + 1, 0).getDate())}`
    await call('/v1/study-plans', { orgId, year: d.getFullYear(), title: '理论学习中心组学习计划',
      items: [{ title: '专题学习：党的创建', startsOn: first, endsOn: last, courseIds: [course.id] }] })
  })

  it('finds the required course and the upcoming exam on the home page, and reads a lesson', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('lisi')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    await page.locator('[data-test=required-course]', { hasText: '党史学习教育' }).waitFor()
    await page.getByText('截止 2026-12-31').waitFor()
    await page.locator('[data-test=upcoming-exam]', { hasText: '党史知识测验' }).waitFor()
    await checkPage(page, problems, 'member-home-courses-375')
    await page.locator('[data-test=required-course]').click()
    await page.locator('[data-test=course-title]', { hasText: '党史学习教育' }).waitFor()
    await checkPage(page, problems, 'course-375')
    await page.locator('[data-test=lesson]', { hasText: '中国共产党的诞生' }).click()
    await page.locator('[data-test=article]', { hasText: '第一次全国代表大会' }).waitFor()
    await checkPage(page, problems, 'lesson-article-375')
    await page.goto(server.url + '/m/courses')
    await page.locator('[data-test=my-course]', { hasText: '党史学习教育' }).waitFor()
    await checkPage(page, problems, 'my-courses-375')
    await ctx.close()
  })

  it('plays a video and an audio lesson by range requests, and reads a PDF lesson page by page', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    const ranges = []
    page.on('response', (r) => {
      if (r.url().includes('/blob/')) ranges.push({ status: r.status(), range: r.headers()['content-range'] ?? '' })
    })
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('lisi')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    await page.goto(server.url + '/m/courses')
    await page.locator('[data-test=my-course]', { hasText: '党史学习教育' }).click()

    // Each player starts playing (muted: autoplay rules) and its clock moves.
    const play = (selector) => page.locator(selector).evaluate(async (el) => {
      if (el.readyState < 1) await new Promise((r) => el.addEventListener('loadedmetadata', r, { once: true }))
      el.muted = true
      await el.play()
      const start = el.currentTime
      await new Promise((r) => setTimeout(r, 1200))
      return { duration: el.duration, moved: el.currentTime - start, error: el.error?.message ?? '' }
    })
    await page.locator('[data-test=lesson]', { hasText: '红船精神（视频）' }).click()
    const video = await play('[data-test=video]')
    assert.ok(Math.abs(video.duration - 4) < 0.2 && video.moved > 0.5, JSON.stringify(video))
    await checkPage(page, problems, 'lesson-video-375')
    assert.ok(ranges.some((r) => r.status === 206 && /^bytes \d+-\d+\/\d+$/.test(r.range)), JSON.stringify(ranges))

    await page.goBack()
    await page.locator('[data-test=lesson]', { hasText: '党史故事（音频）' }).click()
    const audio = await play('[data-test=audio]')
    assert.ok(Math.abs(audio.duration - 4) < 0.2 && audio.moved > 0.5, JSON.stringify(audio))
    await checkPage(page, problems, 'lesson-audio-375')

    // The PDF renders on canvases (the first page's red band is drawn), and reading to the end
    // counts every page.
    await page.goBack()
    await page.locator('[data-test=lesson]', { hasText: '学习材料（PDF）' }).click()
    const first = page.locator('[data-test=pdf] canvas[data-page="1"][data-rendered=true]')
    await first.waitFor()
    const red = await first.evaluate((c) => {
      const px = c.getContext('2d').getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.2), 1, 1).data
      return px[0] > 150 && px[1] < 80 && px[2] < 80
    })
    assert.ok(red, 'the first page of the PDF is not drawn')
    await page.locator('[data-test=pdf-progress]', { hasText: '已阅读 1/2 页' }).waitFor()
    await checkPage(page, problems, 'lesson-pdf-375')
    await page.locator('[data-test=pdf] canvas[data-page="2"]').scrollIntoViewIfNeeded()
    await page.locator('[data-test=pdf] canvas[data-page="2"][data-rendered=true]').waitFor()
    await page.locator('[data-test=pdf-progress]', { hasText: '已阅读 2/2 页' }).waitFor()
    await ctx.close()
  })

  it('watches a lesson to the end in Chromium and the study hours grow', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    const beats = []
    page.on('response', async (r) => {
      if (r.url().includes('/heartbeats')) beats.push(await r.json().catch(() => ({})))
    })
    // A member who has not studied yet (lisi's players above ran on).
    await newMember(server.url, admin, branchId, 'sunqi', '孙七', 'Sunqi-pass-2026')
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('sunqi')
    await page.getByLabel('密码').fill('Sunqi-pass-2026')
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    await page.goto(server.url + '/m/courses')
    await page.locator('[data-test=my-course]', { hasText: '党史学习教育' }).click()
    await page.locator('[data-test=lesson]', { hasText: '红船精神（视频）' }).click()
    await page.locator('[data-test=study-progress]').waitFor()
    // Played to the end (4 s, muted for autoplay): heartbeats every 2 s and one at the end.
    await page.locator('[data-test=video]').evaluate(async (el) => {
      if (el.readyState < 1) await new Promise((r) => el.addEventListener('loadedmetadata', r, { once: true }))
      el.currentTime = 0
      el.muted = true
      await el.play()
      await new Promise((r) => el.addEventListener('ended', r, { once: true }))
    })
    await page.locator('[data-test=lesson-complete]', { hasText: '已完成' }).waitFor()
    const credited = beats.reduce((s, b) => s + (b.creditedSeconds ?? 0), 0)
    assert.ok(credited >= 3.2 && credited <= 4.5, `credited ${credited} s for a 4 s video: ${JSON.stringify(beats)}`)
    await checkPage(page, problems, 'lesson-credited-375')
    // The course page marks the lesson done; my hours show the lesson time.
    await page.goBack()
    await page.locator('[data-test=lesson]', { hasText: '红船精神（视频）' }).filter({ hasText: '已完成' }).waitFor()
    await page.goto(server.url + '/m/hours')
    await page.locator('[data-test=hours-source]', { hasText: '课程学习' }).waitFor()
    const exact = await page.locator('[data-test=hours-exact]').textContent()
    assert.match(exact ?? '', /^[34]秒$/)
    await checkPage(page, problems, 'hours-375')
    await ctx.close()
  })

  it('keeps a study note on a lesson, shares it with the branch, and another member of the branch reads it', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('sunqi')
    await page.getByLabel('密码').fill('Sunqi-pass-2026')
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    await page.goto(server.url + '/m/courses')
    await page.locator('[data-test=my-course]', { hasText: '党史学习教育' }).click()
    await page.locator('[data-test=lesson]', { hasText: '中国共产党的诞生' }).click()
    await page.locator('[data-test=study-notes]').waitFor()
    await page.locator('[data-test=note-content] textarea').fill('一大召开，开天辟地的大事变。')
    await page.locator('[data-test=note-save]').click()
    await page.locator('[data-test=my-note]', { hasText: '仅自己可见' }).waitFor()
    await page.locator('[data-test=note-content] textarea').fill('红船精神：首创、奋斗、奉献。')
    await page.locator('[data-test=note-share]').click()
    await page.locator('[data-test=note-save]').click()
    await page.locator('[data-test=my-note]', { hasText: '已共享' }).waitFor()
    await checkPage(page, problems, 'lesson-notes-375')
    // The notebook keeps both, newest first.
    await page.goto(server.url + '/m/notes')
    await page.locator('[data-test=book-note]').nth(1).waitFor()
    assert.deepEqual((await page.locator('[data-test=book-note] .text').allInnerTexts()), ['红船精神：首创、奋斗、奉献。', '一大召开，开天辟地的大事变。'])
    await checkPage(page, problems, 'notebook-375')
    await ctx.close()

    // lisi, of the same organisation, sees the shared note and not the private one.
    const other = await browser.newContext(phone)
    const lp = await other.newPage()
    await lp.goto(server.url + '/login')
    await lp.getByLabel('用户名').fill('lisi')
    await lp.getByLabel('密码').fill(password)
    await lp.getByRole('button', { name: '登录' }).click()
    await lp.waitForURL(/\/m$/)
    await lp.goto(server.url + '/m/courses')
    await lp.locator('[data-test=my-course]', { hasText: '党史学习教育' }).click()
    await lp.locator('[data-test=lesson]', { hasText: '中国共产党的诞生' }).click()
    await lp.locator('[data-test=shared-note]', { hasText: '红船精神' }).getByText('孙七').waitFor()
    assert.equal(await lp.locator('[data-test=shared-note]', { hasText: '一大召开' }).count(), 0)
    await other.close()
  })

  it('reads the news of their branch and this month\'s study plan', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('lisi')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m$/)
    // Pinned first, then newest.
    await page.locator('[data-test=home-news]').nth(1).waitFor()
    assert.deepEqual((await page.locator('[data-test=home-news] .van-cell__title').allInnerTexts()).map((s) => s.split('\n')[0]),
      ['关于开展党史学习教育的通知', '支部召开主题党日活动'])
    await page.locator('[data-test=home-news]', { hasText: '支部召开主题党日活动' }).click()
    await page.locator('[data-test=news-body] b', { hasText: '主题党日' }).waitFor()
    await page.getByText(orgName + ' · ').waitFor()
    await checkPage(page, problems, 'news-post-375')
    await page.goto(server.url + '/m/news')
    await page.locator('[data-test=news-item]').nth(1).waitFor()
    await page.locator('[data-test=news-item]', { hasText: '请各位党员按时完成学习' }).waitFor()
    await checkPage(page, problems, 'news-list-375')

    await page.goto(server.url + '/m')
    await page.locator('[data-test=to-plan]').click()
    await page.locator('[data-test=plan-item]', { hasText: '专题学习：党的创建' }).waitFor()
    await page.locator('[data-test=plan-course]', { hasText: '党史学习教育' }).waitFor()
    // A note on the plan item, kept in the notebook.
    await page.locator('[data-test=plan-notes]').click()
    await page.locator('[data-test=note-content] textarea').fill('学习党的创建史，坚定理想信念。')
    await page.locator('[data-test=note-save]').click()
    await page.locator('[data-test=my-note]', { hasText: '坚定理想信念' }).waitFor()
    await checkPage(page, problems, 'study-plan-375')
    await page.locator('[data-test=plan-prev]').click()
    await page.getByText('本月暂无学习计划。').waitFor()
    await page.locator('[data-test=plan-next]').click()
    await page.locator('[data-test=plan-course]').click()
    await page.locator('[data-test=course-title]', { hasText: '党史学习教育' }).waitFor()
    await ctx.close()
  })

  it('answers, reloads and finds every answer, keeps answering offline, and submits to see the result', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login?redirect=/m/exams')
    await page.getByLabel('用户名').fill('lisi')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/m\/exams$/)
    await page.locator('[data-test=exam-card]', { hasText: '党史知识测验' }).waitFor()
    await checkPage(page, problems, 'exams-375')
    await page.getByRole('button', { name: '开始考试' }).click()
    await page.waitForURL(/\/m\/attempts\/\d+$/)
    const attemptId = page.url().split('/').pop()
    await page.locator('[data-test=countdown]').waitFor()
    assert.match(await page.locator('[data-test=countdown]').textContent(), /剩余 (29|30):\d\d/)

    // Question 1 (single choice): saved, then still there after a reload.
    await page.getByRole('radio', { name: /1921年/ }).click()
    await page.locator('[data-test=save-state]', { hasText: '答案已保存' }).waitFor()
    await checkPage(page, problems, 'exam-375')
    await page.reload()
    await page.locator('[data-test=countdown]').waitFor()
    assert.equal(await page.getByRole('radio', { name: /1921年/ }).getAttribute('aria-checked'), 'true')

    // Question 2 with the network gone: kept in the browser, delivered when it is back.
    await page.getByRole('button', { name: '下一题' }).click()
    await ctx.route('**/v1/attempts/*/answers/*', (route) => route.abort('internetdisconnected'))
    await page.getByRole('radio', { name: '正确' }).click()
    await page.locator('[data-test=save-state]', { hasText: /待保存|本机/ }).waitFor()
    // A reload while offline still shows it (from the browser's copy).
    await page.reload()
    await page.locator('[data-test=countdown]').waitFor()
    await page.getByRole('button', { name: '下一题' }).click()
    assert.equal(await page.getByRole('radio', { name: '正确' }).getAttribute('aria-checked'), 'true')
    await ctx.unroute('**/v1/attempts/*/answers/*')
    await page.locator('[data-test=save-state]', { hasText: '答案已保存' }).waitFor({ timeout: 30_000 })
    const [, view] = await api(server.url, 'GET', `/v1/attempts/${attemptId}`, token)
    assert.deepEqual(view.answers.map((a) => [a.questionNo, a.value.choices]).sort(), [[1, ['B']], [2, ['true']]])

    // Submit with question 3 unanswered: the confirmation names it.
    await page.locator('[data-test=submit]').click()
    await page.getByText('还有 1 题未作答：第 3 题').waitFor()
    await page.getByRole('button', { name: '交卷' }).last().click()
    await page.locator('[data-test=result]').waitFor()
    await page.locator('[data-test=result-score]', { hasText: '得分 4 / 6' }).waitFor({ timeout: 30_000 }).catch(async () => {
      // Graded in the background: the result page shows the score once grading is done.
      await page.reload()
      await page.locator('[data-test=result-score]', { hasText: '得分 4 / 6' }).waitFor({ timeout: 30_000 })
    })
    await checkPage(page, problems, 'exam-result-375')

    // The past attempt stays reachable from the exam list, with its released score.
    await page.goto(server.url + '/m/exams')
    await page.locator('[data-test=my-attempt]', { hasText: '得分 4 / 6' }).click()
    await page.waitForURL(new RegExp(`/m/attempts/${attemptId}$`))
    await page.locator('[data-test=result-score]', { hasText: '得分 4 / 6' }).waitFor()
    await ctx.close()
  })

  it('practises with instant feedback, and finds a missed question in the wrong-answer book', async () => {
    const ctx = await browser.newContext(phone)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login?redirect=/m/practice')
    await page.getByLabel('用户名').fill('lisi')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.locator('[data-test=practice-start]').click()
    await checkPage(page, problems, 'practice-375')
    // Answer every drawn question wrongly on purpose (the bank's keys: 1921年, 正确, 1921).
    for (;;) {
      if (await page.getByRole('radio', { name: /1927年/ }).count()) await page.getByRole('radio', { name: /1927年/ }).click()
      else if (await page.getByRole('radio', { name: '错误' }).count()) await page.getByRole('radio', { name: '错误' }).click()
      else await page.getByLabel('第 1 空').fill('1900')
      await page.locator('[data-test=practice-check]').click()
      await page.locator('[data-test=feedback]', { hasText: '回答错误' }).waitFor()
      if (await page.locator('[data-test=practice-next]').count()) await page.locator('[data-test=practice-next]').click()
      else break
    }
    await checkPage(page, problems, 'practice-feedback-375')
    await page.goto(server.url + '/m/wrong-answers')
    await page.locator('[data-test=wrong-item]').first().waitFor()
    assert.ok((await page.locator('[data-test=wrong-item]').count()) >= 1)
    await checkPage(page, problems, 'wrong-answers-375')

    // My profile, then the whole app in English, kept after a reload.
    await page.goto(server.url + '/m/me')
    await page.locator('[data-test=profile-name]', { hasText: '李四' }).waitFor()
    await checkPage(page, problems, 'profile-375')
    await page.locator('[data-test=switch-locale]').click()
    await page.getByText('Party membership').waitFor()
    await page.reload()
    await page.getByRole('tab', { name: 'Exams' }).click()
    await page.getByText('My exams').waitFor()
    await checkPage(page, problems, 'exams-en-375')
    await ctx.close()
  })
})

describe('a trainer grades at a desk', () => {
  let examId, orgName
  const password = 'Wangwu-pass-2026'

  before(async () => {
    const [, orgs] = await api(server.url, 'GET', '/v1/orgs', admin)
    const orgId = orgs.orgs[0].id
    orgName = orgs.orgs[0].name
    const trainer = await newMember(server.url, admin, orgId, 'wangwu', '王五', password, ['TRAINER'])
    const member = await newMember(server.url, admin, orgId, 'zhaoliu', '赵六', 'Zhaoliu-pass-2026')
    const call = async (token, method, path, body) => {
      const [st, out] = await api(server.url, method, path, token, body)
      assert.equal(st, 200, `${path}: ${JSON.stringify(out)}`)
      return out
    }
    const bank = await call(trainer, 'POST', '/v1/banks', { name: '党的建设题库' })
    const q = (body) => call(trainer, 'POST', `/v1/banks/${bank.id}/questions`, { bankId: bank.id, defaultPoints: 2, ...body })
    const single = await q({ type: 'SINGLE', stemHtml: '党的根本宗旨是什么？', answerKeys: ['A'],
      options: [{ key: 'A', html: '全心全意为人民服务' }, { key: 'B', html: '发展经济' }] })
    const essay = await q({ type: 'ESSAY', stemHtml: '结合工作实际，谈谈如何发挥党员先锋模范作用。', reference: '立足岗位、带头攻坚、服务群众。', defaultPoints: 10 })
    const paper = await call(trainer, 'POST', '/v1/papers', { title: '党员先锋模范作用测试', items: [single, essay].map((x) => ({ questionId: x.id })) })
    const now = Date.now()
    const exam = await call(trainer, 'POST', '/v1/exams', { paperId: paper.id, title: '先锋模范作用测试', opensAt: new Date(now - 60_000).toISOString(),
      closesAt: new Date(now + 3_600_000).toISOString(), durationMinutes: 30, attemptsAllowed: 1, resultsPolicy: 'IMMEDIATE', passMark: 6,
      targetOrgIds: [orgId] })
    examId = exam.id

    // The member answers on their phone (the journey above); here through the API.
    const attempt = await call(member, 'POST', `/v1/exams/${examId}/attempts`, {})
    for (const qv of attempt.questions) {
      const value = qv.type === 'ESSAY' ? { text: '在疫情防控一线带头值守，帮助群众解决实际困难。' }
        : { choices: [qv.options.find((o) => o.html === '全心全意为人民服务').key] }
      await call(member, 'PUT', `/v1/attempts/${attempt.id}/answers/${qv.no}`, { value, version: 1 })
    }
    await call(member, 'POST', `/v1/attempts/${attempt.id}:submit`, {})
    for (let i = 0; ; i++) {
      const list = await call(trainer, 'GET', `/v1/exams/${examId}/attempts`)
      if (list.attempts?.[0]?.status === 'graded') break
      if (i > 200) throw new Error('the attempt was never graded')
      await new Promise((r) => setTimeout(r, 50))
    }
  })

  it('imports questions, sees the bad row\'s error, fixes it and imports, then writes one in the editor', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.getByRole('menuitem', { name: '题库管理' }).click()
    await page.locator('[data-test=bank-name]').fill('党章知识题库')
    await page.locator('[data-test=bank-create]').click()
    await page.locator('[data-test=bank-link]', { hasText: '党章知识题库' }).waitFor()
    await checkPage(page, problems, 'banks-1440')
    await page.locator('[data-test=bank-link]', { hasText: '党章知识题库' }).click()
    await page.getByText('暂无试题').waitFor()

    const header = '题型,题干,选项A,选项B,选项C,选项D,选项E,选项F,答案,解析,难度,标签,分值'
    const rows = (third) => [header,
      '单选,党的最高领导机关是？,党的全国代表大会和它所产生的中央委员会,中央纪律检查委员会,,,,,A,,2,党章,2',
      '判断,预备党员的预备期为一年。,,,,,,,对,,1,党章,1',
      third].join('\n') + '\n'
    const file = (third) => ({ name: 'questions.csv', mimeType: 'text/csv', buffer: Buffer.from(rows(third)) })
    await page.locator('[data-test=import-open]').click()
    await page.locator('[data-test=import-file]').setInputFiles(file('单选,党员必须履行的义务有几项？,六项,七项,八项,,,,Z,,3,党章,2'))
    await page.locator('[data-test=import-check]').click()
    const errors = page.locator('[data-test=import-errors]')
    await errors.getByText('答案', { exact: true }).waitFor()
    assert.match(await errors.innerText(), /4\s+答案/)
    await checkPage(page, problems, 'bank-import-errors-1440')
    await page.locator('[data-test=import-file]').setInputFiles(file('单选,党员必须履行的义务有几项？,六项,七项,八项,,,,C,,3,党章,2'))
    await page.locator('[data-test=import-check]').click()
    await page.locator('[data-test=import-ok]', { hasText: '3 行' }).waitFor()
    await page.locator('[data-test=import-run]').click()
    await page.locator('[data-test=import-done]', { hasText: '已导入 3 道试题' }).waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=q-row]').nth(2).waitFor()

    await page.locator('[data-test=q-new]').click()
    await page.locator('[data-test=q-stem]').fill('入党誓词中“永不叛党”之前的一句是？')
    await page.locator('[data-test=q-option-A] input, input[data-test=q-option-A]').first().fill('随时准备为党和人民牺牲一切')
    await page.locator('[data-test=q-option-B] input, input[data-test=q-option-B]').first().fill('对党忠诚')
    await page.getByLabel('B 为正确答案').check()
    await page.locator('[data-test=q-preview]', { hasText: '永不叛党' }).waitFor()
    await checkPage(page, problems, 'question-editor-1440')
    await page.locator('[data-test=q-save]').click()
    await page.locator('[data-test=q-row]', { hasText: '永不叛党' }).waitFor()
    assert.equal(await page.locator('[data-test=q-row]').count(), 4)

    // The bank holds questions: renamed, yes; deleted, no (in the server's words).
    await page.getByRole('menuitem', { name: '题库管理' }).click()
    const row = page.locator('[data-test=bank-link]', { hasText: '党章知识题库' }).locator('xpath=ancestor::tr')
    await row.getByRole('button', { name: '删除' }).click()
    // The confirmation's own button (the popover is teleported to the body).
    await page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
    await page.getByRole('alert').getByText('题库中还有试题').waitFor()
    await row.getByRole('button', { name: '编辑' }).click()
    await page.getByRole('dialog').getByLabel('题库名称').fill('党章知识题库（2026）')
    await page.getByRole('dialog').getByRole('button', { name: '保存' }).click()
    await page.locator('[data-test=bank-link]', { hasText: '党章知识题库（2026）' }).waitFor()
    await ctx.close()
  })

  it('builds a paper from the bank and publishes an exam that a member of the branch then has', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.getByRole('menuitem', { name: '试卷管理' }).click()
    await page.locator('[data-test=paper-title]').fill('党章知识测验卷')
    await page.locator('[data-test=paper-bank]').click()
    await page.getByRole('option', { name: /党章知识题库/ }).click()
    await page.locator('[data-test=paper-questions]').waitFor()
    await page.locator('[data-test=paper-pick]').nth(0).click()
    await page.locator('[data-test=paper-pick]').nth(1).click()
    await checkPage(page, problems, 'paper-builder-1440')
    await page.locator('[data-test=paper-create]').click()
    await page.locator('[data-test=paper-created]', { hasText: '党章知识测验卷' }).waitFor()
    await page.locator('[data-test=paper-to-exam]').click()
    await page.waitForURL(/\/t\/exams\/new\?paper=\d+$/)
    await page.locator('[data-test=exam-title-input]').fill('党章知识月考')
    await page.locator('[data-test=exam-results]').click()
    await page.getByRole('option', { name: '交卷后立即公布' }).click()
    await page.locator('[data-test=exam-targets]').click()
    await page.getByRole('option', { name: orgName, exact: true }).click()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=exam-pass]').locator('input').fill('1')
    await page.locator('[data-test=exam-credit-hours]').locator('input').fill('1.5')
    await checkPage(page, problems, 'exam-new-1440')
    await page.locator('[data-test=exam-create]').click()
    await page.locator('[data-test=exam-title]', { hasText: '党章知识月考' }).waitFor()
    await page.locator('[data-test=exam-credit]', { hasText: '1.5 学时' }).waitFor()
    // Nobody has started it: it can still change.
    await page.locator('[data-test=exam-edit]').click()
    await page.waitForURL(/\/t\/exams\/\d+\/edit$/)
    // The form fills in from the server: edit only once the exam's title is in it (filling
    // earlier raced the load on a busy machine and left both titles in the field).
    await page.waitForFunction(() => document.querySelector('[data-test=exam-title-input]')?.value === '党章知识月考')
    await page.locator('[data-test=exam-title-input]').fill('党章知识月考（十二月）')
    await checkPage(page, problems, 'exam-edit-1440')
    await page.locator('[data-test=exam-create]').click()
    await page.locator('[data-test=exam-title]', { hasText: '党章知识月考（十二月）' }).waitFor()
    // The exam reaches the branch's members.
    const [, login] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'zhaoliu', password: 'Zhaoliu-pass-2026' })
    const [, mine] = await api(server.url, 'GET', '/v1/my/exams', login.accessToken)
    assert.ok(mine.exams.some((m) => m.exam.title === '党章知识月考（十二月）' && m.exam.questionCount === 2), JSON.stringify(mine))
    await ctx.close()
  })

  it('changes a paper\'s questions until an exam uses it, then only its title, and deletes a paper no exam uses', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.getByRole('menuitem', { name: '试卷管理' }).click()
    // A draft paper with one question, then edited to three.
    await page.locator('[data-test=paper-title]').fill('党章练习卷')
    await page.locator('[data-test=paper-bank]').click()
    await page.getByRole('option', { name: /党章知识题库/ }).click()
    await page.locator('[data-test=paper-pick]').nth(0).click()
    await page.locator('[data-test=paper-create]').click()
    await page.locator('[data-test=paper-created]', { hasText: '党章练习卷' }).waitFor()
    await page.getByRole('button', { name: '编辑 党章练习卷' }).click()
    await page.getByRole('heading', { name: '编辑《党章练习卷》' }).waitFor()
    await page.locator('[data-test=paper-title]').fill('党章练习卷（修订）')
    await page.locator('[data-test=paper-bank]').click()
    await page.getByRole('option', { name: /党章知识题库/ }).click()
    await page.locator('[data-test=paper-pick]').nth(1).click()
    await page.locator('[data-test=paper-pick]').nth(2).click()
    await checkPage(page, problems, 'paper-edit-1440')
    await page.locator('[data-test=paper-create]').click()
    await page.getByRole('status').getByText('已保存《党章练习卷（修订）》').waitFor()
    const row = (title) => page.locator('.el-table__row', { hasText: title })
    assert.equal(await row('党章练习卷（修订）').locator('td').nth(2).innerText(), '3')

    // The paper of the published exam: its questions stay, it is not deleted, its title changes.
    await page.getByRole('button', { name: '编辑 党章知识测验卷' }).click()
    await page.locator('[data-test=paper-bank]').click()
    await page.getByRole('option', { name: /党章知识题库/ }).click()
    await page.locator('[data-test=paper-pick]').nth(2).click()
    await page.locator('[data-test=paper-create]').click()
    await page.getByRole('alert').getByText('试卷已被考试使用').waitFor()
    await page.locator('[data-test=paper-edit-cancel]').click()
    await page.getByRole('button', { name: '删除 党章知识测验卷' }).click()
    await page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
    await page.locator('[data-test=papers-error]', { hasText: '试卷已被考试使用' }).waitFor()
    assert.equal(await row('党章知识测验卷').locator('td').nth(2).innerText(), '2')
    await page.locator('.el-popconfirm:visible').first().waitFor({ state: 'hidden' })

    await page.getByRole('button', { name: '删除 党章练习卷（修订）' }).click()
    await page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
    await page.getByRole('status').getByText('已删除《党章练习卷（修订）》').waitFor()
    assert.equal(await row('党章练习卷（修订）').count(), 0)
    await ctx.close()
  })

  it('deletes a question from the bank, and the exam set with it keeps it', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.getByRole('menuitem', { name: '题库管理' }).click()
    await page.locator('[data-test=bank-link]', { hasText: '党章知识题库（2026）' }).click()
    await page.locator('[data-test=q-row]').first().waitFor()
    const before = await page.locator('[data-test=q-row]').allInnerTexts()
    // The first question is in the paper of the published exam.
    await page.getByRole('button', { name: '删除第 1 题' }).click()
    await page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
    await page.getByRole('status').getByText('已删除试题。').waitFor()
    assert.deepEqual(await page.locator('[data-test=q-row]').allInnerTexts(), before.slice(1))
    // The confirmation closes with its row: it does not stay open over the next question.
    await page.waitForFunction(() => ![...document.querySelectorAll('.el-popconfirm')].some((e) => e.checkVisibility()))
    await checkPage(page, problems, 'bank-after-delete-1440')
    const [, login] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'zhaoliu', password: 'Zhaoliu-pass-2026' })
    const [, mine] = await api(server.url, 'GET', '/v1/my/exams', login.accessToken)
    assert.ok(mine.exams.some((m) => m.exam.title === '党章知识月考（十二月）' && m.exam.questionCount === 2), JSON.stringify(mine))
    await ctx.close()
  })

  it('opens the exam, reads the member\'s essay beside the reference answer, scores it and sees the statistics chart', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.locator('[data-test=desk-title]', { hasText: '培训工作台' }).waitFor()
    await page.locator('[data-test=review-count]', { hasText: '1' }).waitFor()
    await checkPage(page, problems, 'trainer-desk-1440')
    assert.equal(await usesElementPlus(page), true, 'the desk did not load Element Plus (the member-side check would prove nothing)')

    await page.getByRole('menuitem', { name: '考试管理' }).click()
    await page.waitForURL(/\/t\/exams$/)
    await page.locator('[data-test=exam-link]', { hasText: '先锋模范作用测试' }).waitFor()
    await checkPage(page, problems, 'exams-1440')
    await page.locator('[data-test=exam-link]', { hasText: '先锋模范作用测试' }).click()
    await page.locator('[data-test=member-name]', { hasText: '赵六' }).waitFor()
    await checkPage(page, problems, 'exam-detail-1440')

    await page.locator('[data-test=grade-link]').click()
    await page.locator('[data-test=grade-title]', { hasText: '赵六' }).waitFor()
    await page.locator('[data-test=essay-answer]', { hasText: '带头值守' }).waitFor()
    await page.locator('[data-test=essay-reference]', { hasText: '立足岗位' }).waitFor()
    await checkPage(page, problems, 'grade-1440')
    const input = page.locator('[data-test=score-input] input')
    await input.fill('8')
    await input.press('Tab')
    await page.locator('[data-test=comment-input]').fill('结合实际，体会深刻')
    await page.locator('[data-test=save-score]').click()
    await page.getByText('本答卷已全部评分').waitFor()
    await page.locator('[data-test=grade-total]', { hasText: '总分 10 / 12' }).waitFor()

    await page.getByRole('menuitem', { name: '阅卷' }).click()
    await page.getByText('没有待阅的答卷').waitFor()
    await checkPage(page, problems, 'review-queue-1440')

    await page.goto(`${server.url}/t/exams/${examId}`)
    await page.getByRole('tab', { name: '统计分析' }).click()
    await page.locator('[data-test=pass-rate]', { hasText: '100' }).waitFor()
    await page.locator('[data-test=chart-distribution] canvas').waitFor()
    await page.locator('[data-test=chart-orgs] canvas').waitFor()
    await checkPage(page, problems, 'exam-stats-1440')

    // A regrade after a key fix, with its reason on the trail.
    await page.getByRole('tab', { name: '重新评分' }).click()
    await page.locator('[data-test=regrade-reason]').fill('核对第1题标准答案')
    await page.locator('[data-test=regrade-run]').click()
    await page.locator('[data-test=regrade-done]', { hasText: '已检查 1 份答卷' }).waitFor()
    await page.locator('[data-test=regrade-table]').getByText('核对第1题标准答案').waitFor()
    await checkPage(page, problems, 'exam-regrade-1440')
    await ctx.close()
  })
  it('writes a course: chapters and lessons reordered by drag, a real video uploaded in parts with a retry, a pause and a resume, then published', async () => {
    const { ctx, page, problems } = await signIn('wangwu', password, /\/t$/)
    await page.getByRole('menuitem', { name: '课程管理' }).click()
    await page.locator('[data-test=course-new]').click()
    await page.locator('[data-test=course-title-input]').fill('新时代党员教育')
    await page.locator('[data-test=course-create]').click()
    await page.waitForURL(/\/t\/courses\/\d+$/)
    await page.getByText('还没有章节').waitFor()

    const addChapter = async (title) => {
      await page.locator('[data-test=chapter-new]').click()
      await page.locator('[data-test=chapter-title-input]').fill(title)
      await page.locator('[data-test=chapter-save]').click()
      await page.locator('[data-test=chapter-title]', { hasText: title }).waitFor()
    }
    await addChapter('第一章 理论学习')
    await addChapter('第二章 实践锻炼')
    const chapter = (title) => page.locator('[data-test=chapter]', { has: page.locator('[data-test=chapter-title]', { hasText: title }) })
    const addLesson = async (title, kind, body) => {
      await chapter('第一章 理论学习').locator('[data-test=lesson-new]').click()
      await page.locator('[data-test=lesson-title-input]').fill(title)
      await page.locator('[data-test=lesson-kind]').getByText(kind, { exact: true }).click()
      if (body) await page.locator('[data-test=lesson-body-input]').fill(body)
      await page.locator('[data-test=lesson-save]').click()
      await page.locator('[data-test=lesson-title]', { hasText: title }).waitFor()
    }
    await addLesson('开篇视频', '视频')
    await addLesson('学习导读', '图文', '<p>本课程围绕党员教育展开。</p><script>alert(1)</script>')

    // Reorder by drag: the second chapter above the first, the reading above the video.
    const titles = (sel) => page.locator(sel).allTextContents()
    await chapter('第二章 实践锻炼').locator('.chapter-head').dragTo(chapter('第一章 理论学习').locator('.chapter-head'))
    await page.waitForFunction(() => document.querySelector('[data-test=chapter-title]')?.textContent === '第二章 实践锻炼')
    assert.deepEqual(await titles('[data-test=chapter-title]'), ['第二章 实践锻炼', '第一章 理论学习'])
    const lesson = (title) => page.locator('[data-test=lesson]', { has: page.locator('[data-test=lesson-title]', { hasText: title }) })
    await lesson('学习导读').dragTo(lesson('开篇视频'))
    await page.waitForFunction(() => document.querySelector('[data-test=lesson-title]')?.textContent === '学习导读')
    assert.deepEqual(await titles('[data-test=lesson-title]'), ['学习导读', '开篇视频'])
    // The same by keyboard-reachable buttons: the chapter back down.
    await page.getByRole('button', { name: '下移「第二章 实践锻炼」' }).click()
    await page.waitForFunction(() => document.querySelector('[data-test=chapter-title]')?.textContent === '第一章 理论学习')
    // A lesson dragged onto another chapter's title moves there; the lesson's dialog moves it back.
    const lessonsOf = (title) => chapter(title).locator('[data-test=lesson-title]').allTextContents()
    await lesson('学习导读').dragTo(chapter('第二章 实践锻炼').locator('[data-test=chapter-head]'))
    await chapter('第二章 实践锻炼').locator('[data-test=lesson-title]', { hasText: '学习导读' }).waitFor()
    assert.deepEqual(await lessonsOf('第一章 理论学习'), ['开篇视频'])
    await lesson('学习导读').getByRole('button', { name: '编辑' }).click()
    await page.locator('.el-select', { has: page.getByLabel('所属章节') }).click()
    await page.getByRole('option', { name: '第一章 理论学习' }).click()
    await page.locator('[data-test=lesson-save]').click()
    await chapter('第一章 理论学习').locator('[data-test=lesson-title]', { hasText: '学习导读' }).waitFor()
    assert.deepEqual(await lessonsOf('第一章 理论学习'), ['开篇视频', '学习导读'])
    assert.deepEqual(await lessonsOf('第二章 实践锻炼'), [])

    // Publishing before the video is there: refused in the server's words.
    await page.locator('[data-test=course-publish]').click()
    await page.locator('[data-test=course-error]', { hasText: '开篇视频' }).waitFor()

    // A real video of 12 MiB (the fixture with a padding box, still a valid MP4): three parts of
    // 5, 5 and 2 MiB. The first PUT of part 2 fails (retried), part 3 is held until paused.
    const mp4 = await fixture('lesson.mp4')
    const total = 12 << 20
    const pad = Buffer.alloc(total - mp4.length)
    pad.writeUInt32BE(pad.length, 0)
    pad.write('free', 4, 'ascii')
    const video = Buffer.concat([mp4, pad])
    let failedOnce = false
    let release
    const held = new Promise((r) => (release = r))
    const puts = []
    await page.route(/\/blob\/.*partNumber=/, async (route) => {
      if (route.request().method() !== 'PUT') return route.continue()
      const n = Number(new URL(route.request().url()).searchParams.get('partNumber'))
      puts.push(n)
      if (n === 2 && !failedOnce) {
        failedOnce = true
        return route.abort('failed')
      }
      if (n === 3 && puts.filter((x) => x === 3).length === 1) {
        await held
        return route.continue().catch(() => {}) // the page dropped it when paused
      }
      return route.continue()
    })
    await lesson('开篇视频').locator('[data-test=lesson-file]').setInputFiles({ name: '开篇视频.mp4', mimeType: 'video/mp4', buffer: video })
    const row = lesson('开篇视频').locator('[data-test=upload]')
    const bar = row.getByRole('progressbar')
    await row.getByText('已重试 1 次').waitFor()
    // Parts 1 and 2 stored, part 3 held: 10 of 12 MiB.
    await page.waitForFunction(() => document.querySelector('[data-test=upload] [role=progressbar]')?.getAttribute('aria-valuenow') === '83')
    await checkPage(page, problems, 'course-upload-1440')
    await row.locator('[data-test=upload-pause]').click()
    await row.locator('[data-test=upload-state]', { hasText: '已暂停' }).waitFor()
    assert.equal(await bar.getAttribute('aria-valuenow'), '83')
    release()
    await row.locator('[data-test=upload-resume]').click()
    await row.locator('[data-test=upload-state]', { hasText: '上传完成' }).waitFor()
    assert.equal(await bar.getAttribute('aria-valuenow'), '100')
    assert.deepEqual(puts.toSorted(), [1, 2, 2, 3, 3], 'part 2 retried, part 3 sent again after the pause, nothing else twice')
    // The server read the real file: its length and size.
    await lesson('开篇视频').locator('[data-test=lesson-media]', { hasText: '12.0 MB' }).waitFor()
    await page.unroute(/\/blob\/.*partNumber=/)

    await page.locator('[data-test=course-publish]').click()
    await page.locator('[data-test=course-status]', { hasText: '已发布' }).waitFor()
    await page.getByText('章节和课时不能再修改').waitFor()
    assert.equal(await page.locator('[data-test=lesson-new]').count(), 0, 'no structural edits once published')
    await checkPage(page, problems, 'course-editor-1440')

    // The sanitised article as the server keeps it, and the course in the list as published.
    const [, courses] = await api(server.url, 'GET', '/v1/courses', admin)
    const c = courses.courses.find((x) => x.title === '新时代党员教育')
    assert.equal(c.status, 'PUBLISHED')
    const [, full] = await api(server.url, 'GET', `/v1/courses/${c.id}`, admin)
    const articleId = full.chapters.flatMap((ch) => ch.lessons ?? []).find((l) => l.title === '学习导读').id
    const [, article] = await api(server.url, 'GET', `/v1/lessons/${articleId}`, admin)
    assert.match(article.bodyHtml, /本课程围绕党员教育展开/)
    assert.ok(!article.bodyHtml.includes('<script'), article.bodyHtml)
    await page.getByRole('menuitem', { name: '课程管理' }).click()
    await page.locator('[data-test=course-link]', { hasText: '新时代党员教育' }).waitFor()
    await checkPage(page, problems, 'courses-1440')
    await ctx.close()
  })
})

describe('staff at a desk', () => {
  let otherOrg
  const password = 'Sunba-pass-2026'

  before(async () => {
    const staff = await newMember(server.url, admin, member.orgId, 'sunba', '孙八', password, ['STAFF'])
    const call = async (path, body) => {
      const [st, out] = await api(server.url, 'POST', path, staff, body)
      assert.equal(st, 200, `${path}: ${JSON.stringify(out)}`)
      return out
    }
    // A course of the staff's own branch, published, to assign from the desk.
    const c = await call('/v1/courses', { title: '党章学习', creditHours: 2, summary: '逐章学习党章' })
    const ch = await call(`/v1/courses/${c.id}/chapters`, { title: '总纲' })
    await call(`/v1/chapters/${ch.id}/lessons`, { title: '党章总纲导读', kind: 'ARTICLE', bodyHtml: '<p>中国共产党是中国工人阶级的先锋队。</p>' })
    await call(`/v1/courses/${c.id}:publish`, {})
    const [, orgs] = await api(server.url, 'GET', '/v1/orgs', admin)
    otherOrg = orgs.orgs.find((o) => o.id !== member.orgId && o.depth === 0)
  })

  it('imports members with the row report, is refused another branch, assigns a course and posts news a member then sees on the phone', async () => {
    const ctx = await browser.newContext(desktop)
    const page = await ctx.newPage()
    const problems = watch(page)
    await page.goto(server.url + '/login')
    await page.getByLabel('用户名').fill('sunba')
    await page.getByLabel('密码').fill(password)
    await page.getByRole('button', { name: '登录' }).click()
    await page.waitForURL(/\/s$/)
    await page.getByRole('menuitem', { name: '党员与账号' }).click()
    await page.locator('[data-test=account-name]', { hasText: '张三' }).waitFor()
    await checkPage(page, problems, 'accounts-1440')

    const csv = (phone) => ({ name: 'members.csv', mimeType: 'text/csv',
      buffer: Buffer.from(`用户名,姓名,手机号\nzhoujiu,周九,13800138009\nwushi,吴十,${phone}\n`) })
    await page.locator('[data-test=member-import]').click()
    await page.locator('[data-test=import-password]').fill('Initial-pass-2026')
    await page.locator('[data-test=import-file]').setInputFiles(csv('12345'))
    await page.locator('[data-test=import-check]').click()
    await page.locator('[data-test=import-errors]').getByText('手机号', { exact: true }).waitFor()
    assert.match(await page.locator('[data-test=import-errors]').innerText(), /3\s+手机号/)
    await checkPage(page, problems, 'member-import-errors-1440')
    await page.locator('[data-test=import-file]').setInputFiles(csv('13800138010'))
    await page.locator('[data-test=import-check]').click()
    await page.locator('[data-test=import-ok]').waitFor()
    await page.locator('[data-test=import-run]').click()
    await page.locator('[data-test=import-done]', { hasText: '已导入 2' }).waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=account-name]', { hasText: '吴十' }).waitFor()

    // Another branch: the server refuses, and none of its members show.
    await page.goto(`${server.url}/s/accounts?org=${otherOrg.id}`)
    await page.locator('[data-test=accounts-error]').waitFor()
    assert.equal(await page.locator('[data-test=account-name]').count(), 0)

    await page.getByRole('menuitem', { name: '课程分配' }).click()
    await page.locator('[data-test=assign-open]').first().click()
    await page.locator('[data-test=assign-orgs]').click()
    await page.getByRole('option', { name: '第一党支部' }).click()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=assign-due]').fill('2026-12-31')
    await page.locator('[data-test=assign-save]').click()
    await page.locator('[data-test=assignment-table]').getByText('第一党支部').waitFor()
    await checkPage(page, problems, 'assignments-1440')
    await page.keyboard.press('Escape')

    await page.getByRole('menuitem', { name: '党建动态' }).click()
    await page.locator('[data-test=news-new]').click()
    await page.locator('[data-test=news-title-input]').fill('第一党支部召开专题组织生活会')
    await page.locator('[data-test=news-body-input]').fill('<p>支部全体党员参加会议，开展批评与自我批评。</p>')
    await checkPage(page, problems, 'news-editor-1440')
    await page.locator('[data-test=news-save]').click()
    await page.locator('[data-test=news-table]').getByText('第一党支部召开专题组织生活会').waitFor()
    await page.locator('.el-overlay-dialog').waitFor({ state: 'hidden' })
    await checkPage(page, problems, 'news-admin-1440')

    // The audit log lists the import just made.
    await page.getByRole('menuitem', { name: '审计日志' }).click()
    await page.locator('[data-test=audit-table]').getByText('account.import').first().waitFor()
    await checkPage(page, problems, 'audit-1440')
    await ctx.close()

    // The member of the branch sees both on the phone's home page.
    const phoneCtx = await browser.newContext(phone)
    const m = await phoneCtx.newPage()
    await m.goto(server.url + '/login')
    await m.getByLabel('用户名').fill('zhangsan')
    await m.getByLabel('密码').fill(memberNewPassword)
    await m.getByRole('button', { name: '登录' }).click()
    await m.waitForURL(/\/m$/)
    await m.locator('[data-test=home-news]', { hasText: '第一党支部召开专题组织生活会' }).waitFor()
    await m.locator('[data-test=required-course]', { hasText: '党章学习' }).waitFor()
    await phoneCtx.close()
  })

  it('writes the branch\'s study plan, is shown a bad date in its row, edits it, and a member reads the month\'s items on the phone', async () => {
    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    const now = new Date()
    const ym = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
    await page.getByRole('menuitem', { name: '学习计划' }).click()
    await page.getByText(`${now.getFullYear()} 年还没有学习计划`).waitFor()
    await page.locator('[data-test=plan-new]').click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('[data-test=plan-title]').fill('第一党支部理论学习计划')
    await dialog.getByLabel('第 1 项学习内容').fill('学习党章')
    await dialog.getByLabel('第 1 项开始日期').fill(`${ym}-01`)
    await dialog.getByLabel('第 1 项结束日期').fill(`${ym}-28`)
    await dialog.locator('.el-select', { has: page.getByLabel('第 1 项课程') }).click()
    await page.getByRole('option', { name: '党章学习' }).click()
    await page.keyboard.press('Escape')
    await dialog.locator('[data-test=plan-add-item]').click()
    await dialog.getByLabel('第 2 项学习内容').fill('学习党史')
    await dialog.getByLabel('第 2 项开始日期').fill(`${ym}-20`)
    await dialog.getByLabel('第 2 项结束日期').fill(`${ym}-10`)
    await dialog.locator('[data-test=plan-save]').click()
    // The server names the second row's end date; nothing is saved.
    const cellError = dialog.locator('[data-test=plan-row]').nth(1).getByRole('alert')
    await cellError.getByText('结束日期不能早于开始日期').waitFor()
    assert.equal(await cellError.innerText(), '结束日期不能早于开始日期')
    await checkPage(page, problems, 'study-plan-editor-1440')
    const [, listed] = await api(server.url, 'GET', `/v1/study-plans?orgId=${member.orgId}`, admin)
    assert.deepEqual(listed.plans ?? [], [])
    await dialog.getByLabel('第 2 项结束日期').fill(`${ym}-25`)
    await dialog.locator('[data-test=plan-save]').click()
    const card = page.locator('[data-test=plan-card]', { hasText: '第一党支部理论学习计划' })
    await card.getByText('学习党史').waitFor()
    await card.getByText('党章学习').waitFor()
    await page.locator('.el-overlay-dialog').waitFor({ state: 'hidden' })
    await checkPage(page, problems, 'study-plans-1440')

    // Editing keeps the first item (same id) and drops the second.
    const [, before] = await api(server.url, 'GET', `/v1/study-plans?orgId=${member.orgId}`, admin)
    const firstId = before.plans[0].items.find((i) => i.title === '学习党章').id
    await card.locator('[data-test=plan-edit]').click()
    await dialog.getByLabel('第 1 项学习内容').fill('学习党章总纲')
    await dialog.getByRole('button', { name: '删除第 2 项' }).click()
    await dialog.locator('[data-test=plan-save]').click()
    await card.getByText('学习党章总纲').waitFor()
    assert.equal(await card.getByText('学习党史').count(), 0)
    const [, after] = await api(server.url, 'GET', `/v1/study-plans?orgId=${member.orgId}`, admin)
    assert.deepEqual(after.plans[0].items.map((i) => [i.id, i.title]), [[firstId, '学习党章总纲']])
    await ctx.close()

    const phoneCtx = await browser.newContext(phone)
    const m = await phoneCtx.newPage()
    await m.goto(server.url + '/login')
    await m.getByLabel('用户名').fill('zhangsan')
    await m.getByLabel('密码').fill(memberNewPassword)
    await m.getByRole('button', { name: '登录' }).click()
    await m.waitForURL(/\/m$/)
    await m.locator('[data-test=to-plan]').click()
    await m.locator('[data-test=plan-item]', { hasText: '学习党章总纲' }).waitFor()
    await m.locator('[data-test=plan-course]', { hasText: '党章学习' }).waitFor()
    await phoneCtx.close()

    // Deleted, it is gone for the member too.
    const again = await signIn('sunba', password, /\/s$/)
    await again.page.goto(server.url + '/s/plans')
    await again.page.locator('[data-test=plan-card]').waitFor()
    await again.page.locator('[data-test=plan-delete]').click()
    await again.page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
    await again.page.getByRole('status').getByText('已删除《第一党支部理论学习计划》').waitFor()
    assert.equal(await again.page.locator('[data-test=plan-card]').count(), 0)
    await again.ctx.close()
  })

  it('edits an account: renamed, made a trainer and disabled, after the server refuses the staff role to staff', async () => {
    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    await page.getByRole('menuitem', { name: '党员与账号' }).click()
    await page.getByRole('button', { name: '编辑 吴十' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('.el-checkbox', { hasText: '组织管理员' }).click()
    await dialog.locator('[data-test=account-save]').click()
    await dialog.locator('[data-test=account-edit-error]').getByText('无权授予「组织管理员」角色').waitFor()
    await checkPage(page, problems, 'account-edit-1440')
    await dialog.locator('.el-checkbox', { hasText: '组织管理员' }).click()
    await dialog.locator('.el-checkbox', { hasText: '培训管理员' }).click()
    await dialog.locator('[data-test=account-name-input]').fill('吴十一')
    await dialog.locator('.el-radio', { hasText: '已停用' }).click()
    await dialog.locator('[data-test=account-save]').click()
    await page.getByRole('status').getByText('已保存 吴十一 的账号').waitFor()
    const row = page.locator('[data-test=account-table] tbody tr', { hasText: '吴十一' })
    await row.getByText('培训管理员').waitFor()
    await row.getByText('已停用').waitFor()
    const [st] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'wushi', password: 'Initial-pass-2026' })
    assert.notEqual(st, 200, 'a disabled account signs in')
    await ctx.close()
  })

  it('records a theme day with a member on leave, a member checks in by its QR code on the phone and earns its hours, and the branch\'s compliance shows it', async () => {
    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    await page.getByRole('menuitem', { name: '组织生活' }).click()
    await page.locator('[data-test=meeting-new]').click()
    await page.locator('[data-test=meeting-topic]').fill('学习贯彻党的二十届三中全会精神')
    await page.locator('[data-test=meeting-create]').click()
    // The new meeting opens with its QR code and the branch's members.
    const url = (await page.locator('[data-test=checkin-url]').textContent()) ?? ''
    assert.match(url, /\/m\/checkin\/\d+\?code=[0-9a-f]{32}$/)
    const wu = page.locator('[data-test=attendance-row]', { hasText: '周九' })
    await wu.locator('.el-radio', { hasText: '请假' }).click()
    await page.locator('[data-test=attendance-save]').click()
    await wu.getByRole('alert').waitFor() // a leave needs its reason
    await page.getByLabel('周九的请假事由').fill('外出培训')
    await page.locator('[data-test=attendance-save]').click()
    await page.getByText('出席情况已保存').waitFor()
    // The minutes, uploaded to the blob store and downloaded again.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')
    await page.locator('[data-test=minutes-input]').setInputFiles({ name: '会议记录.pdf', mimeType: 'application/pdf', buffer: pdf })
    await page.locator('[data-test=minutes-file]', { hasText: '会议记录.pdf' }).waitFor()
    const [minutes] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=minutes-file]').click()])
    assert.equal(minutes.suggestedFilename(), '会议记录.pdf')
    assert.deepEqual(await readFile(await minutes.path()), pdf)
    await checkPage(page, problems, 'meeting-1440')

    // A member scans the code on the phone: checked in, the hour credited.
    const phoneCtx = await browser.newContext(phone)
    const mp = await phoneCtx.newPage()
    const mproblems = watch(mp)
    await mp.goto(server.url + '/login')
    await mp.getByLabel('用户名').fill('zhangsan')
    await mp.getByLabel('密码').fill(memberNewPassword)
    await mp.getByRole('button', { name: '登录' }).click()
    await mp.waitForURL(/\/m$/)
    await mp.goto(url)
    await mp.locator('[data-test=checkin-ok]', { hasText: '签到成功' }).waitFor()
    await mp.getByText('已计学时 1小时0分').waitFor()
    await checkPage(mp, mproblems, 'checkin-375')
    await mp.goto(server.url + '/m/hours')
    await mp.locator('[data-test=hours-source]', { hasText: '组织生活' }).waitFor()
    await phoneCtx.close()

    // The desk shows 张三 checked in by the code, and the theme day in the branch's compliance.
    await page.keyboard.press('Escape')
    await page.locator('[data-test=meeting-open]').first().click()
    await page.locator('[data-test=attendance-row]', { hasText: '张三' }).getByText('扫码签到').waitFor()
    await page.keyboard.press('Escape')
    await page.getByRole('tab', { name: '达标情况' }).click()
    await page.locator('[data-test=compliance-table]').getByText('第一党支部').waitFor()
    await page.locator('[data-test=compliance-THEME_DAY]', { hasText: '已开 1 次' }).waitFor()
    await checkPage(page, problems, 'meeting-compliance-1440')

    // Drill down to 张三's hours: the meeting's hour in his ledger, which verifies.
    await page.getByRole('menuitem', { name: '党员与账号' }).click()
    await page.getByRole('link', { name: '张三的学时' }).click()
    await page.locator('[data-test=ledger-table]').getByText('meeting:', { exact: false }).first().waitFor()
    await page.locator('[data-test=ledger-verify]').click()
    await page.locator('[data-test=ledger-result]', { hasText: '账本完整' }).waitFor()
    await checkPage(page, problems, 'member-hours-1440')
    await ctx.close()
  })

  it('a member files offline study on the phone, staff approve it at the desk, and its hours count', async () => {
    const phoneCtx = await browser.newContext(phone)
    const mp = await phoneCtx.newPage()
    const mproblems = watch(mp)
    await mp.goto(server.url + '/login')
    await mp.getByLabel('用户名').fill('zhangsan')
    await mp.getByLabel('密码').fill(memberNewPassword)
    await mp.getByRole('button', { name: '登录' }).click()
    await mp.waitForURL(/\/m$/)
    await mp.goto(server.url + '/m/hours')
    await mp.locator('[data-test=to-offline]').click()
    await mp.locator('[data-test=offline-title] input').fill('市委党校专题培训')
    await mp.locator('[data-test=offline-hours] input').fill('3')
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64)])
    await mp.locator('[data-test=offline-files]').setInputFiles({ name: '结业证书.png', mimeType: 'image/png', buffer: png })
    await mp.locator('[data-test=offline-submit]').click()
    await mp.locator('[data-test=offline-record]', { hasText: '待审核' }).locator('[data-test=offline-file]', { hasText: '结业证书.png' }).waitFor()
    await checkPage(mp, mproblems, 'offline-375')

    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    await page.getByRole('menuitem', { name: '线下学习审核' }).click()
    await page.locator('[data-test=offline-table]').getByText('市委党校专题培训').waitFor()
    await page.locator('[data-test=offline-table] [data-test=offline-file]', { hasText: '结业证书.png' }).waitFor()
    await checkPage(page, problems, 'offline-review-1440')
    await page.getByRole('button', { name: '通过 市委党校专题培训' }).click()
    await page.getByText('已通过“市委党校专题培训”').waitFor()
    await ctx.close()

    await mp.reload()
    await mp.locator('[data-test=offline-record]', { hasText: '已通过' }).waitFor()
    await mp.goto(server.url + '/m/hours')
    await mp.locator('[data-test=hours-source]', { hasText: '线下学习' }).filter({ hasText: '3小时0分' }).waitFor()
    await phoneCtx.close()
  })

  it('一学一报: a study-group session, a member files a study report on the phone, staff accept it and report the session upward', async () => {
    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    await page.getByRole('menuitem', { name: '组织生活' }).click()
    await page.locator('[data-test=meeting-new]').click()
    await page.locator('[data-test=meeting-kind]').click()
    await page.getByRole('option', { name: '理论学习中心组学习' }).click()
    await page.locator('[data-test=meeting-plan-item]').waitFor()
    await page.locator('[data-test=meeting-topic]').fill('集中学习《中国共产党章程》')
    await page.locator('[data-test=meeting-create]').click()
    await page.locator('[data-test=attendance-row]', { hasText: '张三' }).locator('.el-radio', { hasText: '出席' }).click()
    await page.locator('[data-test=attendance-save]').click()
    await page.getByText('出席情况已保存').waitFor()
    await page.locator('[data-test=reports-missing]', { hasText: '张三' }).waitFor()

    const phoneCtx = await browser.newContext(phone)
    const mp = await phoneCtx.newPage()
    const mproblems = watch(mp)
    await mp.goto(server.url + '/login')
    await mp.getByLabel('用户名').fill('zhangsan')
    await mp.getByLabel('密码').fill(memberNewPassword)
    await mp.getByRole('button', { name: '登录' }).click()
    await mp.waitForURL(/\/m$/)
    await mp.locator('[data-test=to-reports]').click()
    const item = mp.locator('[data-test=report-item]', { hasText: '集中学习《中国共产党章程》' })
    await item.locator('[data-test=report-status]', { hasText: '未提交' }).waitFor()
    await item.locator('[data-test=report-content] textarea').fill('太短')
    await item.locator('[data-test=report-submit]').click()
    await item.getByText('学习心得应为 20–3000 字').waitFor()
    await item.locator('[data-test=report-content] textarea').fill('通过集中学习党章，我深刻认识到党章是党的根本大法，要做到学党章、守党章、用党章，在本职岗位上发挥先锋模范作用。')
    await item.locator('[data-test=report-submit]').click()
    await item.locator('[data-test=report-status]', { hasText: '待审阅' }).waitFor()
    await checkPage(mp, mproblems, 'study-report-375')

    // The desk: reopen the session, accept the report, report the session upward.
    await page.keyboard.press('Escape')
    await page.locator('[data-test=meeting-open]').first().click()
    const report = page.locator('[data-test=study-report]', { hasText: '张三' })
    await report.getByText('待审阅').waitFor()
    await page.getByText('出席党员均已提交').waitFor()
    await report.locator('[data-test=report-accept]').click()
    await report.getByText('已通过').waitFor()
    await page.locator('[data-test=upward-summary]').fill('支部理论学习中心组集中学习党章，出席党员均已提交学习心得。')
    await page.locator('[data-test=upward-submit]').click()
    await page.locator('[data-test=reported]', { hasText: '出席党员均已提交学习心得' }).waitFor()
    await checkPage(page, problems, 'study-reports-1440')
    await page.keyboard.press('Escape')
    await page.locator('[data-test=meeting-table]').getByText('已上报').waitFor()
    await ctx.close()

    await mp.reload()
    await item.locator('[data-test=report-status]', { hasText: '已通过' }).waitFor()
    await phoneCtx.close()
  })

  it('tightens the branch\'s yearly target, sees who is below it with a chart, and exports the report', async () => {
    const { ctx, page, problems } = await signIn('sunba', password, /\/s$/)
    await page.getByRole('menuitem', { name: '学时统计' }).click()
    await page.getByRole('tab', { name: '学习要求' }).click()
    const rule = page.locator('[data-test="rule-target.member"]')
    await rule.locator('[data-test=rule-effective]', { hasText: '32 学时' }).waitFor()
    await rule.locator('[data-test=rule-value] input').fill('30')
    await rule.locator('[data-test=rule-save]').click()
    await rule.getByRole('alert').getByText('只能从严').waitFor()
    await rule.locator('[data-test=rule-value] input').fill('40')
    await rule.locator('[data-test=rule-save]').click()
    await rule.locator('[data-test=rule-effective]', { hasText: '40 学时' }).waitFor()
    await page.getByRole('status').getByText('已保存：党员年度学时目标').waitFor()
    await checkPage(page, problems, 'hours-rules-1440')

    await page.getByRole('tab', { name: '学时统计' }).click()
    await page.locator('[data-test=report-chart] canvas').waitFor()
    const zhang = page.locator('[data-test=report-below] tbody tr', { hasText: '张三' })
    await zhang.getByText('40.0', { exact: true }).or(zhang.getByText('40', { exact: true })).first().waitFor()
    await checkPage(page, problems, 'hours-report-1440')
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-test=report-export]').click()])
    assert.match(download.suggestedFilename(), /^学时报表-.+\.xlsx$/)
    // The drill-down from the report keeps 学时统计 highlighted in the menu.
    await zhang.getByRole('link', { name: '查看张三的学时' }).click()
    await page.locator('[data-test=ledger-table]').waitFor()
    await page.locator('.el-menu-item.is-active', { hasText: '学时统计' }).waitFor()
    await ctx.close()
  })

  it('keeps the organisation tree: an admin adds and renames organisations, deletes an empty one, and is refused one with members', async () => {
    const { ctx, page, problems } = await signIn('admin', adminPassword, /\/a$/)
    await page.getByRole('menuitem', { name: '组织管理' }).click()
    await page.locator('[data-test=org-name]', { hasText: '第一党支部' }).waitFor()
    await page.locator('[data-test=org-new-root]').click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('[data-test=org-name-input]').fill('机关党委')
    await dialog.locator('[data-test=org-code-input]').fill('e2e-committee')
    await dialog.locator('.el-select', { has: page.getByLabel('类型') }).click()
    await page.getByRole('option', { name: '党委' }).click()
    await dialog.locator('[data-test=org-save]').click()
    await page.getByRole('status').getByText('已添加「机关党委」').waitFor()
    await page.getByRole('button', { name: '添加下级 机关党委' }).click()
    await dialog.locator('[data-test=org-name-input]').fill('机关第二党支部')
    await dialog.locator('[data-test=org-code-input]').fill('e2e-branch-2')
    await dialog.locator('[data-test=org-save]').click()
    await page.locator('[data-test=org-name]', { hasText: '机关第二党支部' }).waitFor()
    await page.getByRole('button', { name: '编辑 机关第二党支部' }).click()
    await dialog.locator('[data-test=org-name-input]').fill('机关第三党支部')
    await dialog.locator('[data-test=org-save]').click()
    await page.locator('[data-test=org-name]', { hasText: '机关第三党支部' }).waitFor()
    // Indented under its committee, in tree order.
    const names = await page.locator('[data-test=org-name]').allInnerTexts()
    assert.equal(names[names.indexOf('机关党委') + 1], '　机关第三党支部')
    await page.getByRole('dialog').waitFor({ state: 'hidden' })
    await checkPage(page, problems, 'orgs-1440')

    const confirmDelete = async (name) => {
      await page.getByRole('button', { name: `删除 ${name}` }).click()
      await page.locator('.el-popconfirm:visible').getByRole('button', { name: '删除' }).click()
      await page.locator('.el-popconfirm:visible').first().waitFor({ state: 'hidden' })
    }
    await confirmDelete('机关党委')
    await page.locator('[data-test=orgs-error]', { hasText: '不能删除' }).waitFor()
    await confirmDelete('第一党支部')
    await page.locator('[data-test=orgs-error]', { hasText: '不能删除' }).waitFor()
    await confirmDelete('机关第三党支部')
    await page.getByRole('status').getByText('已删除「机关第三党支部」').waitFor()
    assert.equal(await page.locator('[data-test=org-name]', { hasText: '机关第三党支部' }).count(), 0)
    await ctx.close()
  })
})

describe('member development', () => {
  it('staff find an activist in the worklist, record the contact, are refused a step before its rule allows, and the member follows on the phone', async () => {
    const sunba = 'Sunba-pass-2026'
    const [, staffLogin] = await api(server.url, 'POST', '/v1/auth/login', null, { username: 'sunba', password: sunba })
    const staff = staffLogin.accessToken
    const liuyi = await newMember(server.url, admin, member.orgId, 'liuyi', '刘一', 'Liuyi-pass-2026')
    const chener = await newMember(server.url, admin, member.orgId, 'chener', '陈二', 'Chener-pass-2026')
    const idOf = async (tok) => (await api(server.url, 'GET', '/v1/me', tok))[1].id
    const [liuyiId, chenerId] = [await idOf(liuyi), await idOf(chener)]
    for (const [id, profile] of [[liuyiId, { birthDate: '1998-04-01' }], [chenerId, { stage: 'FULL_MEMBER' }]]) {
      const [st, out] = await api(server.url, 'PATCH', `/v1/accounts/${id}`, admin, { id, profile })
      assert.equal(st, 200, JSON.stringify(out))
    }
    for (const [step, date] of [['application', '2025-01-06'], ['talk', '2025-01-20'], ['activist_confirmed', '2025-03-01'], ['activist_filed', '2025-03-05']]) {
      const [st, out] = await api(server.url, 'POST', `/v1/members/${liuyiId}/development/steps`, staff, { memberId: liuyiId, step, date })
      assert.equal(st, 200, `${step}: ${JSON.stringify(out)}`)
    }

    const { ctx, page, problems } = await signIn('sunba', sunba, /\/s$/)
    await page.getByRole('menuitem', { name: '发展党员' }).click()
    await page.locator('[data-test=dev-counts]').waitFor()
    const row = page.locator('[data-test=dev-worklist] tr', { hasText: '刘一' })
    await row.getByText('5. 指定培养联系人').waitFor()
    await checkPage(page, problems, 'dev-worklist-1440')
    await row.getByRole('link', { name: '查看 刘一 的发展纪实' }).click()
    await page.locator('[data-test=dev-next]', { hasText: '第 5 步 指定培养联系人' }).waitFor()

    // No contact named: the server's reason shows at the field.
    await page.locator('[data-test=dev-date]').fill('2025-03-10')
    await page.locator('[data-test=dev-record]').click()
    await page.getByRole('alert').getByText('须指定 1–2 名培养联系人').waitFor()
    await page.locator('[data-test=dev-people]').click()
    await page.getByRole('option', { name: '陈二' }).click()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=dev-record]').click()
    await page.getByRole('status').getByText('已登记第 5 步“指定培养联系人”').waitFor()
    await page.locator('[data-test=dev-timeline] li', { hasText: '指定培养联系人' }).getByText('培养联系人：陈二').waitFor()

    // The written application's scan goes on its step; a file that is not what it says is refused
    // at its step with the server's reason.
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')
    await page.locator('[data-test=dev-doc-input-application]').setInputFiles({ name: '入党申请书.pdf', mimeType: 'application/pdf', buffer: pdf })
    await page.getByRole('status').getByText('已上传《入党申请书.pdf》').waitFor()
    await page.locator('[data-test=dev-docs-application]').getByRole('button', { name: '下载《入党申请书.pdf》' }).waitFor()
    await page.locator('[data-test=dev-doc-input-talk]').setInputFiles({ name: '谈话记录.pdf', mimeType: 'application/pdf', buffer: Buffer.from('MZ not a pdf') })
    await page.locator('[data-test=dev-docs-talk] [data-test=dev-doc-error]', { hasText: '文件内容不是 PDF' }).waitFor()
    assert.equal(await page.locator('[data-test=dev-docs-talk] [data-test=dev-doc]').count(), 0)

    await page.locator('[data-test=dev-next]', { hasText: '第 6 步 培养教育和考察' }).waitFor()
    await page.locator('[data-test=dev-date]').fill('2026-02-01')
    await page.locator('[data-test=dev-record]').click()
    // Step 7 before the year of training is out: refused, the rule named with its date.
    await page.locator('[data-test=dev-next]', { hasText: '第 7 步 确定发展对象' }).waitFor()
    await page.locator('[data-test=dev-next]').getByText('经过 12 个月以上培养教育考察方可列为发展对象').waitFor()
    await page.locator('[data-test=dev-date]').fill('2026-02-28')
    await page.locator('[data-test=dev-record]').click()
    await page.locator('[data-test=dev-error]', { hasText: '最早 2026-03-01' }).waitFor()
    await checkPage(page, problems, 'dev-timeline-1440')
    await ctx.close()

    const { ctx: phoneCtx, page: mp, problems: mproblems } = await signIn('liuyi', 'Liuyi-pass-2026', /\/m$/, phone)
    await mp.locator('[data-test=to-development]').click()
    await mp.locator('[data-test=my-dev]', { hasText: '入党积极分子' }).waitFor()
    await mp.locator('[data-test=my-dev-next]', { hasText: '第 7 步 确定发展对象' }).getByText('最早 2026-03-01').waitFor()
    await mp.locator('[data-test=my-step-contacts_assigned]', { hasText: '2025-03-10' }).waitFor()
    const [download] = await Promise.all([mp.waitForEvent('download'), mp.locator('[data-test=my-step-application] [data-test=my-doc]').click()])
    assert.equal(download.suggestedFilename(), '入党申请书.pdf')
    await checkPage(mp, mproblems, 'my-development-375')
    await phoneCtx.close()
  })
})

describe('development plans and rules', () => {
  it('the admin sets a branch\'s yearly quota and a holiday, staff tighten a rule and are refused loosening it', async () => {
    const year = new Date().getFullYear()
    {
      const { ctx, page, problems } = await signIn('admin', adminPassword, /\/a$/)
      await page.goto(`${server.url}/a/development/settings?org=${member.orgId}`)
      const row = page.locator('[data-test=dev-plans] tr', { hasText: '第一党支部' })
      await row.getByRole('spinbutton', { name: '计划名额 第一党支部' }).fill('3')
      await row.getByRole('button', { name: '保存 第一党支部 的计划' }).click()
      await page.getByRole('status').getByText(`已保存 第一党支部 ${year} 年计划`).waitFor()
      await page.getByRole('tab', { name: '节假日安排' }).click()
      await page.locator('[data-test=holiday-date]').fill(`${year}-10-01`)
      await page.locator('[data-test=holiday-name]').fill('国庆节')
      await page.getByRole('button', { name: '添加' }).click()
      await page.locator('[data-test=holidays-save]').click()
      await page.getByRole('status').getByText(`已保存 ${year} 年节假日安排（1 天）`).waitFor()
      await checkPage(page, problems, 'dev-holidays-1440')
      await ctx.close()
    }
    const { ctx, page, problems } = await signIn('sunba', 'Sunba-pass-2026', /\/s$/)
    await page.getByRole('menuitem', { name: '发展党员' }).click()
    await page.locator('[data-test=to-dev-settings]').click()
    // The branch's own quota is set from above: staff of the branch read it.
    const row = page.locator('[data-test=dev-plans] tr', { hasText: '第一党支部' })
    await row.getByText('3', { exact: true }).first().waitFor()
    assert.equal(await row.getByRole('spinbutton').count(), 0)
    await checkPage(page, problems, 'dev-plans-1440')
    await page.getByRole('tab', { name: '发展规则' }).click()
    const notice = page.locator('[data-test="dev-rule-notice.object_workdays"] input')
    await notice.fill('3')
    await page.locator('[data-test="dev-set-notice.object_workdays"]').click()
    await page.locator('[data-test=dev-settings-error]', { hasText: '取值范围 5–30' }).waitFor()
    await notice.fill('7')
    await page.locator('[data-test="dev-set-notice.object_workdays"]').click()
    await page.getByRole('status').getByText('已更新规则').waitFor()
    await page.locator('[data-test=dev-rules] tr', { hasText: '发展对象公示 7 个工作日' }).waitFor()
    await checkPage(page, problems, 'dev-rules-1440')
    await ctx.close()
  })
})

describe('transfer of membership', () => {
  it('the sending branch starts a transfer by the receiving branch\'s code and the receiving branch accepts it', async () => {
    const [so, other] = await api(server.url, 'POST', '/v1/orgs', admin, { parentId: '0', name: '第二党支部', code: 'e2e-branch-b', type: 'BRANCH' })
    assert.equal(so, 200, JSON.stringify(other))
    await newMember(server.url, admin, other.id, 'qianqi', '钱七', 'Qianqi-pass-2026', ['STAFF'])
    await newMember(server.url, admin, member.orgId, 'fengshi', '冯十', 'Fengshi-pass-2026')

    {
      const { ctx, page, problems } = await signIn('sunba', 'Sunba-pass-2026', /\/s$/)
      await page.getByRole('menuitem', { name: '发展党员' }).click()
      await page.locator('[data-test=to-dev-transfers]').click()
      await page.locator('[data-test=transfer-member]').click()
      await page.getByRole('option', { name: '冯十' }).click()
      await page.locator('[data-test=transfer-to]').fill('e2e-branch-b')
      await page.locator('[data-test=transfer-note]').fill('工作调动')
      await page.locator('[data-test=transfer-start]').click()
      await page.getByRole('status').getByText('已发起 冯十 的组织关系转接').waitFor()
      await page.locator('[data-test=transfers-out] tr', { hasText: '冯十' }).getByText('待接收').waitFor()
      await checkPage(page, problems, 'transfers-out-1440')
      await ctx.close()
    }
    const { ctx, page, problems } = await signIn('qianqi', 'Qianqi-pass-2026', /\/s$/)
    await page.goto(server.url + '/s/development/transfers')
    await page.getByRole('tab', { name: '转入' }).click()
    await page.getByRole('button', { name: '接收 冯十' }).click()
    await page.getByRole('status').getByText('已办理：冯十 已接收').waitFor()
    await page.locator('[data-test=transfers-in] tr', { hasText: '冯十' }).getByText('已接收').waitFor()
    await checkPage(page, problems, 'transfers-in-1440')
    await ctx.close()
    const [, moved] = await api(server.url, 'GET', '/v1/accounts?orgId=' + other.id, admin)
    assert.ok(moved.accounts.some((a) => a.displayName === '冯十'), 'the member is in the receiving branch')
  })
})

describe('temporary branches', () => {
  it('the admin sets up a temporary branch with dates and names its members, who keep their home branch', async () => {
    const { ctx, page, problems } = await signIn('admin', adminPassword, /\/a$/)
    await page.getByRole('menuitem', { name: '组织管理' }).click()
    await page.getByRole('button', { name: '添加下级 中共先锋委员会' }).click()
    const dialog = page.getByRole('dialog')
    await dialog.locator('[data-test=org-name-input]').fill('乡村振兴项目临时党支部')
    await dialog.locator('[data-test=org-code-input]').fill('e2e-temp')
    await dialog.locator('[data-test=org-temporary]').click()
    const year = new Date().getFullYear()
    await dialog.locator('[data-test=org-starts]').fill(`${year}-01-01`)
    await dialog.locator('[data-test=org-ends]').fill(`${year + 1}-12-31`)
    await dialog.locator('[data-test=org-save]').click()
    await page.locator('[data-test=org-table] tr', { hasText: '乡村振兴项目临时党支部' }).locator('[data-test=org-temp]', { hasText: `临时 ${year}-01-01 至 ${year + 1}-12-31` }).waitFor()
    await page.getByRole('button', { name: '管理 乡村振兴项目临时党支部 的成员' }).click()
    await page.locator('[data-test=temp-pick]').click()
    await page.getByRole('option', { name: '张三' }).click()
    await page.locator('[data-test=temp-add]').click()
    await page.locator('[data-test=temp-members]').getByText('张三').waitFor()
    await page.locator('[data-test=temp-members] .el-switch').first().click()
    assert.equal(await page.getByRole('switch', { name: '张三 为临时党支部管理员' }).isChecked(), true)
    await checkPage(page, problems, 'temp-members-1440')
    await page.locator('[data-test=temp-save]').click()
    await page.getByRole('status').getByText('已保存 乡村振兴项目临时党支部 的成员（1 人）').waitFor()
    await ctx.close()
    const [, zs] = await api(server.url, 'GET', '/v1/accounts?q=zhangsan', admin)
    const z = zs.accounts.find((a) => a.username === 'zhangsan')
    assert.equal(z.orgId, member.orgId, 'the member keeps the home branch')

    // 张三, a member at home and the temporary branch's staff, holds its meeting from the
    // branch's desk: the roster is the branch's members, from their home branches.
    const zc = await signIn('zhangsan', memberNewPassword, /\/m$/)
    await zc.page.locator('[data-test=to-project]', { hasText: '乡村振兴项目临时党支部' }).click()
    await zc.page.waitForURL(/\/p\/meetings/)
    await zc.page.locator('[data-test=meeting-new]').click()
    await zc.page.locator('[data-test=meeting-topic]').fill('项目攻坚主题党日')
    await zc.page.locator('[data-test=meeting-create]').click()
    const row = zc.page.locator('[data-test=attendance-row]', { hasText: '张三' })
    await row.locator('.el-radio', { hasText: '出席' }).click()
    assert.equal(await zc.page.locator('[data-test=attendance-row]').count(), 1)
    await zc.page.locator('[data-test=attendance-save]').click()
    await zc.page.getByText('出席情况已保存').waitFor()
    await checkPage(zc.page, zc.problems, 'temp-branch-meeting-1440')
    // The home branch's desk stays closed to them.
    await zc.page.goto(server.url + '/s/meetings')
    await zc.page.waitForURL(/\/403$/)
    await zc.ctx.close()
  })
})

describe('growth files', () => {
  it('staff review a member’s growth file: a 民主评议 record, the change between versions, a return with comments the member reads on the phone, approval and the exports', async () => {
    const zhengqi = 'Zhengqi-pass-2026'
    const staff = await newMember(server.url, admin, member.orgId, 'zhengqi', '郑七', zhengqi, ['STAFF'])
    const zhouwu = await newMember(server.url, admin, member.orgId, 'zhouwu', '周五', 'Zhouwu-pass-2026')
    const [, me] = await api(server.url, 'GET', '/v1/me', zhouwu)
    const [sp, patched] = await api(server.url, 'PATCH', `/v1/accounts/${me.id}`, admin, { id: me.id, profile: { birthDate: '1999-05-01' } })
    assert.equal(sp, 200, JSON.stringify(patched))
    const [st, out] = await api(server.url, 'POST', `/v1/members/${me.id}/development/steps`, staff, { memberId: me.id, step: 'application', date: '2025-01-06' })
    assert.equal(st, 200, JSON.stringify(out))
    // The step's event compiles the file in the background (debounced): wait for it.
    for (let i = 0; ; i++) {
      const [sf] = await api(server.url, 'GET', `/v1/members/${me.id}/growth-file`, staff)
      if (sf === 200) break
      assert.ok(i < 60, `the file was not compiled after the step (${sf})`)
      await new Promise((r) => setTimeout(r, 250))
    }

    const { ctx, page, problems } = await signIn('zhengqi', zhengqi, /\/s$/)
    await page.getByRole('menuitem', { name: '成长档案审核' }).click()
    const row = page.locator('[data-test=growth-files] tr', { hasText: '周五' })
    await row.getByText('待审核').waitFor()
    await checkPage(page, problems, 'growth-queue-1440')
    await row.getByRole('link', { name: '查看 周五 的成长档案' }).click()
    await page.locator('[data-test=gc-development]', { hasText: '2025-01-06' }).waitFor()
    await page.locator('[data-test=growth-state]', { hasText: '待审核' }).waitFor()

    // A record without its name is refused at the field; with it, it is kept and compiled.
    await page.locator('[data-test=record-add]').click()
    await page.locator('.record-form .el-form-item__error').first().waitFor()
    await page.locator('[data-test=record-title]').fill('2026 年度民主评议')
    await page.locator('[data-test=record-outcome]').fill('优秀')
    await page.locator('[data-test=record-add]').click()
    await page.getByRole('status').getByText('已添加，档案将自动重新生成').waitFor()
    await page.locator('[data-test=growth-records] tr', { hasText: '2026 年度民主评议' }).getByText('民主评议', { exact: true }).waitFor()
    await page.locator('[data-test=growth-compile]').click()
    await page.locator('[data-test=growth-notice]', { hasText: /已生成第 \d+ 版|没有变化/ }).waitFor()
    await page.locator('[data-test=gc-records]', { hasText: '2026 年度民主评议' }).waitFor()
    await page.locator('[data-test^=growth-compare-]').first().click()
    await page.locator('[data-test=growth-diff] li', { hasText: '2026 年度民主评议' }).getByText('新增').waitFor()

    // Returning needs a comment; the member reads it on the phone.
    await page.locator('[data-test=growth-return]').click()
    await page.locator('[data-test=growth-review]').getByText('退回时请写明意见').waitFor()
    await page.locator('[data-test=growth-comment]').fill('请补充 2026 年思想汇报')
    await page.locator('[data-test=growth-return]').click()
    await page.getByRole('status').getByText(/已退回第 \d+ 版/).waitFor()
    await page.locator('[data-test=growth-state]', { hasText: '已退回' }).waitFor()
    await page.locator('[data-test=growth-reviews]', { hasText: '请补充 2026 年思想汇报' }).waitFor()
    await checkPage(page, problems, 'growth-file-1440')

    const { ctx: phoneCtx, page: mp, problems: mproblems } = await signIn('zhouwu', 'Zhouwu-pass-2026', /\/m$/, phone)
    await mp.locator('[data-test=to-growth]').click()
    await mp.locator('[data-test=my-growth-status]', { hasText: '已退回' }).waitFor()
    await mp.locator('[data-test=my-growth-reviews]', { hasText: '请补充 2026 年思想汇报' }).waitFor()
    await mp.locator('[data-test=gc-records]', { hasText: '优秀' }).waitFor()
    await checkPage(mp, mproblems, 'my-growth-375')
    // Another member's file is not theirs to read.
    const [so] = await api(server.url, 'GET', `/v1/members/${member.id}/growth-file`, zhouwu)
    assert.equal(so, 404)
    await phoneCtx.close()

    // Approval locks the version; the exports carry what the file holds.
    await page.locator('[data-test=growth-approve]').click()
    await page.getByRole('status').getByText(/已审核通过第 \d+ 版/).waitFor()
    await page.locator('[data-test=growth-locked]').waitFor()
    const saved = async (button) => {
      const [d] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-test=${button}]`).click()])
      return [d.suggestedFilename(), await readFile(await d.path())]
    }
    const [htmlName, html] = await saved('growth-html')
    assert.match(htmlName, /\.html$/)
    assert.match(html.toString(), /全程纪实表[\s\S]*2026 年度民主评议[\s\S]*请补充 2026 年思想汇报/)
    const [pdfName, pdf] = await saved('growth-pdf')
    assert.match(pdfName, /\.pdf$/)
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-')
    const [, json] = await saved('growth-json')
    assert.equal(JSON.parse(json.toString()).content.records[0].outcome, '优秀')
    await page.getByRole('menuitem', { name: '成长档案审核' }).click()
    await page.locator('[data-test=growth-filter-approved]').click()
    await page.locator('[data-test=growth-files] tr', { hasText: '周五' }).getByText('已审核通过').waitFor()
    await ctx.close()

    // Each export by staff reaches org's audit log (through growth's spool: soon, not at once).
    for (let i = 0; ; i++) {
      const [sa, audit] = await api(server.url, 'GET', '/v1/audit-logs?action=growth.export&pageSize=10', admin)
      assert.equal(sa, 200, JSON.stringify(audit))
      const exports = (audit.logs ?? []).filter((e) => e.summary.includes('周五'))
      if (exports.length === 3) break
      assert.ok(i < 40, JSON.stringify(audit.logs))
      await new Promise((r) => setTimeout(r, 250))
    }
  })
})

describe('search', () => {
  let token, trainer, bankId
  const password = 'Sousuo-pass-2026'

  before(async () => {
    const call = async (path, body) => {
      const [st, out] = await api(server.url, 'POST', path, admin, body)
      assert.equal(st, 200, `${path}: ${JSON.stringify(out)}`)
      return out
    }
    const [, me] = await api(server.url, 'GET', '/v1/me', admin)
    const branch = await call('/v1/orgs', { parentId: me.orgId, name: '检索党支部', code: 'e2e-search', type: 'BRANCH' })
    const other = await call('/v1/orgs', { parentId: me.orgId, name: '另一党支部', code: 'e2e-search-b', type: 'BRANCH' })
    token = await newMember(server.url, admin, branch.id, 'sousuo', '孙索', password)
    const course = async (title, lesson, body, org) => {
      const c = await call('/v1/courses', { title, summary: '专题学习' })
      const ch = await call(`/v1/courses/${c.id}/chapters`, { title: '第一章' })
      const l = await call(`/v1/chapters/${ch.id}/lessons`, { title: lesson, kind: 'ARTICLE', bodyHtml: body })
      await call(`/v1/courses/${c.id}:publish`, {})
      await call(`/v1/courses/${c.id}/assignments`, { orgIds: [org], required: false })
      return l
    }
    await course('乡村振兴与农业发展银行', '入党申请的办理流程', '<p>支部对待处理的入党申请应当在一个月内派人谈话。</p>', branch.id)
    await course('另一支部的专项整治', '待处理事项清单', '<p>另一支部待处理的事项。</p>', other.id)
    // A trainer of the branch and a bank of the branch's questions.
    trainer = await newMember(server.url, admin, branch.id, 'sousuot', '孙教员', password, ['TRAINER'])
    const [sb, bank] = await api(server.url, 'POST', '/v1/banks', trainer, { name: '发展党员题库' })
    assert.equal(sb, 200, JSON.stringify(bank))
    bankId = bank.id
    const [sq, q] = await api(server.url, 'POST', `/v1/banks/${bank.id}/questions`, trainer, { bankId: bank.id, type: 'TRUE_FALSE', defaultPoints: 1,
      stemHtml: '发展对象须经过一年以上的培养教育和考察。', answerKeys: ['true'] })
    assert.equal(sq, 200, JSON.stringify(q))
    // The index follows the events within seconds: wait until the member's search has the lesson.
    for (let i = 0; ; i++) {
      const [st, r] = await api(server.url, 'GET', `/v1/search?q=${encodeURIComponent('处理')}`, token)
      const [sq, rq] = await api(server.url, 'GET', `/v1/search?q=${encodeURIComponent('培养教育')}`, trainer)
      if (st === 200 && (r.hits ?? []).some((h) => h.title === '入党申请的办理流程') && sq === 200 && rq.total > 0) break
      assert.ok(i < 80, JSON.stringify(r))
      await new Promise((res) => setTimeout(res, 250))
    }
  })

  it('a trainer searches the bank\'s questions at the desk and opens the bank', async () => {
    const { ctx, page, problems } = await signIn('sousuot', password, /\/t$/)
    await page.getByRole('menuitem', { name: '搜索' }).click()
    await page.waitForURL(/\/t\/search$/)
    await page.getByLabel('搜索课程、课时、动态和题目').fill('培养教育')
    await page.locator('[data-test=desk-search-go]').click()
    const hit = page.locator('[data-test=desk-search-hit]', { hasText: '发展对象须经过一年以上' })
    await hit.waitFor()
    assert.equal(await hit.locator('mark').first().innerText(), '培养教育')
    await page.locator('[data-test=desk-kind-question]', { hasText: '题目 1' }).waitFor()
    await checkPage(page, problems, 'desk-search-1280')
    await hit.getByRole('link').click()
    await page.waitForURL(new RegExp(`/t/banks/${bankId}$`))
    await ctx.close()
  })

  it('a member searches a sub-word on the phone, sees only their branch\'s lesson with the match marked, and opens it', async () => {
    const { ctx, page, problems } = await signIn('sousuo', password, /\/m$/, phone)
    await page.locator('[data-test=to-search]').click()
    await page.waitForURL(/\/m\/search/)
    // Suggestions follow the typing: part of a title offers the course.
    await page.getByRole('searchbox').pressSequentially('农业发', { delay: 30 })
    await page.locator('[data-test=suggestion]', { hasText: '乡村振兴与农业发展银行' }).waitFor()
    await checkPage(page, problems, 'search-suggest-375')
    await page.getByRole('searchbox').fill('处理')
    await page.locator('[data-test=search-go]').click()
    const hit = page.locator('[data-test=search-hit]', { hasText: '入党申请的办理流程' })
    await hit.waitFor()
    assert.equal(await hit.locator('mark').first().innerText(), '处理')
    // Another branch's lesson holding the same word is neither listed nor counted.
    assert.equal(await page.locator('[data-test=search-hit]', { hasText: '待处理事项清单' }).count(), 0)
    await page.locator('[data-test=search-total]', { hasText: '共 1 条结果' }).waitFor()
    await checkPage(page, problems, 'search-results-375')
    await hit.click()
    await page.locator('[data-test=article]', { hasText: '一个月内派人谈话' }).waitFor()
    // Back returns to the results of the same query.
    await page.goBack()
    await page.locator('[data-test=search-hit]', { hasText: '入党申请的办理流程' }).waitFor()
    // A query that finds nothing says so.
    await page.getByRole('searchbox').fill('量子计算')
    await page.locator('[data-test=search-go]').click()
    await page.getByText('没有找到相关内容').waitFor()
    await page.locator('[data-test=search-total]', { hasText: '共 0 条结果' }).waitFor()
    await ctx.close()
  })
})
