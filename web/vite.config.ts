import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vitest/config'
import type { Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build lands in pkg/webui/dist, which the standalone binary embeds (go build -tags webui).
// Vant's icon font lists a CDN copy (at.alicdn.com) after its embedded one: the app fetches
// nothing from other sites (the Content-Security-Policy would refuse it anyway), so drop it.
const noCdnFonts: Plugin = {
  name: 'vanguard-no-cdn-fonts',
  enforce: 'pre',
  transform(code, id) {
    if (!id.includes('vant') || !id.endsWith('.css')) return null
    return code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com[^)]*\)\s*format\("[a-z0-9]+"\)/g, '')
  },
}

export default defineConfig({
  plugins: [vue(), noCdnFonts],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  build: {
    outDir: fileURLToPath(new URL('../pkg/webui/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2020',
    // No inline scripts or data: modules: the server's Content-Security-Policy forbids them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:8000', '/blob': 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.ts'],
  },
})
