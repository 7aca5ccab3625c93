// `npm run build`: compiles src/ and cli/ to dist/ with tsc (which also type-checks them; with
// declarations, the package's typed API) and
// stamps the build so bin/oht.js can tell a current build from a stale one. Everything under
// src/ and cli/ is TypeScript, the crypto worker's entry included (src/blocks/crypto/worker.ts).
// The web UI's browser script (web/app.ts) is compiled to dist/web with its own tsconfig (DOM
// types), and its stylesheet copied beside it.
// The build is written beside dist/ and moved into it file by file when complete (installInto): a
// process running from dist/ (a daemon that spawns a crypto worker or imports a module later, a
// test) never finds it half-deleted or half-built, as it did when dist/ was deleted first.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const root = join(import.meta.dirname, '..')
/** The build's stamp (bin/oht.js compares its time with the sources'). */
const STAMP = '.built'
const dist = join(root, `dist.next-${process.pid}`)
rmSync(dist, { recursive: true, force: true })
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
try {
  build()
} catch (err) {
  rmSync(dist, { recursive: true, force: true })
  throw err
}
installInto(dist, join(root, 'dist'))
rmSync(dist, { recursive: true, force: true })

/**
 * Moves the new build into dist/ file by file: a file whose bytes are unchanged stays as it is, a
 * changed one is replaced by one rename (atomic), files the new build lacks are removed, and the
 * stamp (.built) is written after everything else. dist/ itself is never renamed, so no process
 * running from it finds it, or any file that both builds have, missing for an instant (swapping
 * the whole directory took two renames, and Node has no atomic exchange).
 */
function installInto (from, to) {
  const wanted = new Set()
  for (const e of readdirSync(from, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue
    const rel = relative(from, join(e.parentPath, e.name))
    wanted.add(rel)
    if (rel !== STAMP) place(join(from, rel), join(to, rel))
  }
  if (existsSync(to)) {
    for (const e of readdirSync(to, { withFileTypes: true, recursive: true })) {
      const path = join(e.parentPath, e.name)
      if (!e.isDirectory() && !wanted.has(relative(to, path))) rmSync(path, { force: true })
    }
    removeEmptyDirs(to)
  }
  place(join(from, STAMP), join(to, STAMP))
}

function place (src, dst) {
  if (existsSync(dst) && statSync(dst).isFile() && readFileSync(dst).equals(readFileSync(src))) return
  mkdirSync(dirname(dst), { recursive: true })
  renameSync(src, dst)
}

function removeEmptyDirs (dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue
    const sub = join(dir, e.name)
    removeEmptyDirs(sub)
    if (readdirSync(sub).length === 0) rmdirSync(sub)
  }
}

function build () {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' })
  // tsc rewrites `./x.ts` imports to `./x.js` in the JavaScript but not in the declarations: the
  // package's .d.ts (its programmatic API, package.json "exports") must name the files it ships.
  for (const e of readdirSync(dist, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.d.ts')) continue
    const path = join(e.parentPath, e.name)
    const text = readFileSync(path, 'utf8')
    const fixed = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2')
    if (fixed !== text) writeFileSync(path, fixed)
  }
  bundleCatalogs(join(dist, 'cli', 'i18n'))
  execFileSync(process.execPath, [tsc, '-p', join(root, 'web', 'tsconfig.json'), '--noEmit', 'false', '--outDir', join(dist, 'web')], { stdio: 'inherit' })
  copyFileSync(join(root, 'web', 'style.css'), join(dist, 'web', 'style.css'))
  copyFileSync(join(root, 'web', 'pf', 'style.css'), join(dist, 'web', 'pf', 'style.css'))
  writeFileSync(join(dist, STAMP), `${new Date().toISOString()}\n`)
}

/**
 * One module per catalog locale (`<locale>.bundle.js`, its area files in name order, each still
 * named for the duplicate-key check): the CLI loads one file for a language instead of 17
 * (cli/i18n/index.ts). The area files import nothing but `plural`; anything else stops the build.
 */
function bundleCatalogs (dir) {
  for (const locale of readdirSync(dir, { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name)) {
    const files = readdirSync(join(dir, locale)).filter(f => f.endsWith('.js')).sort()
    const areas = files.map((file, i) => {
      const text = readFileSync(join(dir, locale, file), 'utf8').replace(/^import \{ plural \} from "\.\.\/plural\.js";\n/m, '')
      if (/^\s*(import|export (?!default \{))/m.test(text)) throw new Error(`i18n bundle: ${locale}/${file} imports or exports more than the bundle handles`)
      return text.replace(/^export default \{/m, `const area${i} = {`)
    })
    const index = files.map((file, i) => `[${JSON.stringify(file)}, area${i}]`).join(', ')
    writeFileSync(join(dir, `${locale}.bundle.js`), `import { plural } from "./plural.js";\n${areas.join('\n')}\nexport default [${index}];\n`)
  }
}
