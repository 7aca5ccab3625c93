// The UI's own files (web/ in the repository, dist/web in a build): the stylesheet and the one
// script, and the public fetch page's three. Every asset comes from the daemon: no CDN, no external font. A build ships app.js
// compiled (`npm run build`); a checkout running its sources compiles web/app.ts on first use
// with the TypeScript compiler of its dev dependencies.
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

/** web/ beside src/ (sources) or dist/web beside dist/src (a build): the same relative place. */
export const WEB_DIR = join(import.meta.dirname, '..', '..', '..', 'web')

const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'
/** Every asset there is: the UI's, and the public fetch page's (pf/, src/node/publicfetch). */
const TYPES: Record<string, string> = { 'app.js': JS, 'style.css': CSS, 'pf/core.js': JS, 'pf/media.js': JS, 'pf/page.js': JS, 'pf/style.css': CSS }

export class Assets {
  readonly #dir: string
  readonly #cache = new Map<string, Promise<Buffer>>()

  constructor (dir = WEB_DIR) { this.#dir = dir }

  /** The asset `name` (app.js, style.css) with its content type, or undefined. */
  async get (name: string): Promise<{ type: string, body: Buffer } | undefined> {
    const type = TYPES[name]
    if (type == null) return undefined
    let body = this.#cache.get(name)
    if (body == null) {
      body = this.#load(name)
      this.#cache.set(name, body)
      body.catch(() => { this.#cache.delete(name) })
    }
    return { type, body: await body }
  }

  async #load (name: string): Promise<Buffer> {
    const built = join(this.#dir, name)
    if (existsSync(built)) return await readFile(built)
    if (!name.endsWith('.js')) throw new Error(`missing web asset ${built}`)
    const source = await readFile(join(this.#dir, name.replace(/\.js$/, '.ts')), 'utf8')
    const ts = (await import('typescript')).default
    const out = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false, rewriteRelativeImportExtensions: true } })
    return Buffer.from(out.outputText)
  }
}
