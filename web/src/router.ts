import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import type { Role } from '@/api/types'
import { useAuth } from '@/shared/auth'
import { decide, type RouteAccess } from '@/shared/guard'

declare module 'vue-router' {
  interface RouteMeta extends RouteAccess {
    title?: string
  }
}

// A desk area: the same pages for each role that manages exams, under its own prefix, so each
// role's links stay in its area. The desk chunks (Element Plus, ECharts) load only here.
// Pages of organisation work (accounts, assignments, news): staff and admins.
const orgWork = (roles: Role[]): RouteRecordRaw[] =>
  roles.includes('TRAINER')
    ? []
    : [
        { path: 'orgs', component: () => import('@/desk/org/OrgsPage.vue'), meta: { roles } },
        { path: 'accounts', component: () => import('@/desk/org/AccountsPage.vue'), meta: { roles } },
        { path: 'assignments', component: () => import('@/desk/content/AssignPage.vue'), meta: { roles } },
        { path: 'plans', component: () => import('@/desk/content/StudyPlansPage.vue'), meta: { roles } },
        { path: 'meetings', component: () => import('@/desk/study/MeetingsPage.vue'), meta: { roles } },
        { path: 'offline', component: () => import('@/desk/study/OfflineReview.vue'), meta: { roles } },
        { path: 'hours-report', component: () => import('@/desk/study/HoursReport.vue'), meta: { roles } },
        { path: 'members/:id(\\d+)/hours', component: () => import('@/desk/study/MemberHours.vue'), meta: { roles } },
        { path: 'development', component: () => import('@/desk/dev/DevWorklist.vue'), meta: { roles } },
        { path: 'development/settings', component: () => import('@/desk/dev/DevSettings.vue'), meta: { roles } },
        { path: 'development/transfers', component: () => import('@/desk/dev/DevTransfers.vue'), meta: { roles } },
        { path: 'members/:id(\\d+)/development', component: () => import('@/desk/dev/DevTimeline.vue'), meta: { roles } },
        { path: 'growth', component: () => import('@/desk/growth/GrowthQueue.vue'), meta: { roles } },
        { path: 'members/:id(\\d+)/growth', component: () => import('@/desk/growth/GrowthFile.vue'), meta: { roles } },
        { path: 'news', component: () => import('@/desk/content/NewsAdmin.vue'), meta: { roles } },
        { path: 'audit', component: () => import('@/desk/org/AuditPage.vue'), meta: { roles } },
      ]

const desk = (roles: Role[], area: 'admin' | 'staff' | 'trainer'): RouteRecordRaw => ({
  path: `/${area[0]}`,
  component: () => import('@/desk/DeskLayout.vue'),
  props: { area },
  meta: { roles },
  children: [
    { path: '', component: () => import('@/desk/DeskHome.vue'), props: { area }, meta: { roles } },
    { path: 'courses', component: () => import('@/desk/content/CoursesPage.vue'), meta: { roles } },
    { path: 'courses/:id(\\d+)', component: () => import('@/desk/content/CourseEditor.vue'), meta: { roles } },
    { path: 'papers', component: () => import('@/desk/quiz/PapersPage.vue'), meta: { roles } },
    { path: 'exams', component: () => import('@/desk/quiz/ExamsPage.vue'), meta: { roles } },
    { path: 'exams/new', component: () => import('@/desk/quiz/ExamForm.vue'), meta: { roles } },
    { path: 'exams/:id(\\d+)/edit', component: () => import('@/desk/quiz/ExamForm.vue'), meta: { roles } },
    { path: 'exams/:id(\\d+)', component: () => import('@/desk/quiz/ExamDetail.vue'), meta: { roles } },
    { path: 'banks', component: () => import('@/desk/quiz/BanksPage.vue'), meta: { roles } },
    { path: 'banks/:id(\\d+)', component: () => import('@/desk/quiz/BankDetail.vue'), meta: { roles } },
    { path: 'review', component: () => import('@/desk/quiz/ReviewQueue.vue'), meta: { roles } },
    { path: 'review/:attempt(\\d+)', component: () => import('@/desk/quiz/GradePage.vue'), meta: { roles } },
    { path: 'search', component: () => import('@/desk/search/DeskSearch.vue'), meta: { roles } },
    ...orgWork(roles),
    ...(roles.includes('ADMIN') ? [{ path: 'topics', component: () => import('@/desk/content/TopicsPage.vue'), meta: { roles } }] : []),
  ],
})

// Paths the server keeps for itself (/v1, /openapi, /admin, /blob, /healthz, /readyz, /metrics)
// never reach the app; its own areas are /m (member), /t (trainer), /s (staff), /a (admin).
export const routes: RouteRecordRaw[] = [
  { path: '/', component: () => import('@/pages/NotFound.vue'), meta: {} },
  { path: '/login', component: () => import('@/pages/LoginPage.vue'), meta: { public: true } },
  { path: '/password', component: () => import('@/pages/PasswordPage.vue'), meta: {} },
  { path: '/403', component: () => import('@/pages/Forbidden.vue'), meta: { public: true } },
  {
    path: '/m',
    component: () => import('@/member/MemberLayout.vue'),
    meta: { roles: ['MEMBER'] },
    children: [
      { path: '', component: () => import('@/member/MemberHome.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'exams', component: () => import('@/member/ExamList.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'courses', component: () => import('@/member/CourseList.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'practice', component: () => import('@/member/PracticePage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'me', component: () => import('@/member/ProfilePage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'news', component: () => import('@/member/NewsList.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'search', component: () => import('@/member/SearchPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'news/:id(\\d+)', component: () => import('@/member/NewsPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'plan', component: () => import('@/member/PlanPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'hours', component: () => import('@/member/HoursPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'offline', component: () => import('@/member/OfflinePage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'reports', component: () => import('@/member/ReportsPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'notes', component: () => import('@/member/NotesPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'development', component: () => import('@/member/DevelopmentPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'growth', component: () => import('@/member/GrowthPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'checkin/:id(\\d+)', component: () => import('@/member/CheckinPage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'wrong-answers', component: () => import('@/member/WrongBook.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'courses/:id(\\d+)', component: () => import('@/member/CoursePage.vue'), meta: { roles: ['MEMBER'] } },
      { path: 'courses/:id(\\d+)/lessons/:lesson(\\d+)', component: () => import('@/member/LessonPage.vue'), meta: { roles: ['MEMBER'] } },
    ],
  },
  {
    // Full screen, without the tab bar: nothing to tap away from the exam by mistake.
    path: '/m/attempts/:id(\\d+)',
    component: () => import('@/member/exam/ExamPage.vue'),
    meta: { roles: ['MEMBER'] },
  },
  desk(['ADMIN'], 'admin'),
  desk(['STAFF'], 'staff'),
  desk(['TRAINER'], 'trainer'),
  {
    // The desk of a temporary branch's staff (临时党支部工作台): members at home, staff there.
    path: '/p',
    component: () => import('@/desk/DeskLayout.vue'),
    props: { area: 'project' },
    meta: { roles: [] },
    beforeEnter: () => (useAuth().account?.tempBranches ?? []).some((b) => b.staff) ? true : '/403',
    children: [
      { path: '', redirect: '/p/meetings' },
      { path: 'meetings', component: () => import('@/desk/study/MeetingsPage.vue'), meta: { roles: [] } },
    ],
  },
  { path: '/:pathMatch(.*)*', component: () => import('@/pages/NotFound.vue'), meta: { public: true } },
]

export function makeRouter() {
  const router = createRouter({ history: createWebHistory(), routes })
  router.beforeEach(async (to) => {
    const auth = useAuth()
    if (!to.meta.public || to.path === '/login') await auth.restore()
    return (
      decide(to.path, to.fullPath, to.meta, {
        signedIn: auth.account !== null,
        roles: auth.roles,
        mustChangePassword: auth.mustChangePassword,
      }) ?? true
    )
  })
  return router
}
