// The browser-test harness: one standalone binary (bin/vanguard, built with the web app by
// `make build`) started on free ports with a fresh data directory, one Debian chromium driven by
// playwright-core, and small helpers (API calls as a client would make them, axe-core, CSP
// violation capture, screenshots into web/screenshots/).
import { spawn } from 'node:child_process'
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const root = fileURLToPath(new URL('../..', import.meta.url))
export const screenshotDir = fileURLToPath(new URL('../screenshots/', import.meta.url))
export const adminPassword = 'Admin-e2e-2026'

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.unref()
    s.on('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** startServer runs bin/vanguard on free ports with a fresh data dir until stop(). */
export async function startServer() {
  const dataDir = await mkdtemp(join(tmpdir(), 'vanguard-e2e-'))
  const [http, grpc] = [await freePort(), await freePort()]
  const bin = process.env.VANGUARD_BIN ?? join(root, 'bin/vanguard')
  const proc = spawn(bin, [], {
    env: {
      ...process.env,
      VANGUARD_HTTP_ADDR: `127.0.0.1:${http}`,
      VANGUARD_GRPC_ADDR: `127.0.0.1:${grpc}`,
      VANGUARD_DATA_DIR: dataDir,
      VANGUARD_ADMIN_PASSWORD: adminPassword,
      // Parts of 5 MiB (the stores' minimum): a 12 MiB video is three parts to pause between.
      VANGUARD_UPLOAD_PART_MIB: '5',
      // Heartbeats every 2 s (not 30): a 4-second lesson earns its study hours within the test.
      VANGUARD_HEARTBEAT_SECONDS: '2',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  proc.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000)
  })
  const url = `http://127.0.0.1:${http}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`bin/vanguard exited ${proc.exitCode}: ${stderr}`)
    try {
      if ((await fetch(url + '/healthz')).ok) break
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`bin/vanguard did not answer on ${url}: ${stderr}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  // The app must be the built one, not the placeholder of a build without -tags webui.
  const page = await (await fetch(url + '/login')).text()
  if (!page.includes('/assets/')) throw new Error('bin/vanguard serves the placeholder page: build it with `make build`')
  return {
    url,
    async stop() {
      proc.kill('SIGTERM')
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)))
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** launchBrowser starts Debian's chromium, headless. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  })
}

export const phone = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' }
export const desktop = { viewport: { width: 1440, height: 900 }, locale: 'zh-CN' }

/** api calls the server as an API client would; it returns [status, body]. */
export async function api(base, method, path, token, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'Content-Type': 'application/json' } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  let json = null
  try {
    json = JSON.parse(text)
  } catch {
    // not JSON
  }
  return [res.status, json ?? text]
}

/**
 * newMember creates a member of org (as admin; or an account with other roles) who has already
 * chosen their own password (no forced change at sign-in), and returns their access token.
 */
export async function newMember(base, admin, orgId, username, displayName, password, roles = ['MEMBER']) {
  const first = `${password}-first`
  const [st, acct] = await api(base, 'POST', '/v1/accounts', admin, { username, displayName, password: first, roles, orgId })
  if (st !== 200) throw new Error(`create ${username}: ${st} ${JSON.stringify(acct)}`)
  const [, pair] = await api(base, 'POST', '/v1/auth/login', null, { username, password: first })
  const [sc, changed] = await api(base, 'POST', '/v1/me/password', pair.accessToken, { oldPassword: first, newPassword: password })
  if (sc !== 200) throw new Error(`password of ${username}: ${sc} ${JSON.stringify(changed)}`)
  const [, again] = await api(base, 'POST', '/v1/auth/login', null, { username, password })
  return again.accessToken
}

/** watch collects a page's CSP violations and uncaught errors. */
export function watch(page) {
  const problems = []
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  return problems
}

let axeSource
/** axe runs axe-core on the page and returns its serious and critical violations. */
export async function axe(page) {
  axeSource ??= await readFile(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8')
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource)
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/** shot writes a screenshot into web/screenshots/ (ignored by git) for reviewers. */
export async function shot(page, name) {
  await mkdir(screenshotDir, { recursive: true })
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true })
}

/**
 * uploadMedia uploads a file as a lesson's media the way the browser does (start, PUT each part
 * to its presigned URL, complete) and waits until the server's probe marks it ready.
 */
export async function uploadMedia(base, token, courseId, lessonId, fileName, contentType, bytes) {
  const [sp, plan] = await api(base, 'POST', `/v1/lessons/${lessonId}/uploads`, token, { fileName, size: bytes.length, contentType })
  if (sp !== 200) throw new Error(`upload ${fileName}: ${sp} ${JSON.stringify(plan)}`)
  const partSize = Number(plan.partSize)
  for (const part of plan.parts) {
    const chunk = bytes.subarray((part.number - 1) * partSize, Math.min(part.number * partSize, bytes.length))
    const res = await fetch(part.url, { method: 'PUT', body: chunk })
    if (!res.ok) throw new Error(`PUT part ${part.number} of ${fileName}: ${res.status}`)
  }
  const [sc, done] = await api(base, 'POST', `/v1/uploads/${plan.uploadId}:complete`, token, {})
  if (sc !== 200) throw new Error(`complete ${fileName}: ${sc} ${JSON.stringify(done)}`)
  for (let i = 0; i < 100; i++) {
    const [, course] = await api(base, 'GET', `/v1/courses/${courseId}`, token)
    const lesson = course.chapters.flatMap((c) => c.lessons ?? []).find((l) => l.id === lessonId)
    if (lesson?.mediaStatus === 'READY') return lesson
    if (lesson?.mediaStatus === 'FAILED') throw new Error(`${fileName} failed: ${lesson.mediaError}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${fileName} never became ready`)
}

/** fixture reads a committed media fixture of pkg/media/testdata. */
export function fixture(name) {
  return readFile(fileURLToPath(new URL(`../../pkg/media/testdata/${name}`, import.meta.url)))
}
