import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { makeRouter } from './router'
import { i18n } from './shared/i18n'
import './shared/base.css'

const app = createApp(App)
app.use(createPinia())
app.use(i18n)
app.use(makeRouter())
app.mount('#app')
