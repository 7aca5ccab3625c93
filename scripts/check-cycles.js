// `npm run check:cycles`: fails when the relative imports of src/, cli/ and web/ (type-only imports
// included: they couple modules just the same) form a cycle, and prints each cycle found.
// Also checks the layers of the brief: a module never imports from a layer above its own.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const root = join(import.meta.dirname, '..')
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g
/** Top folders from the bottom up: each may import only from the ones listed before it. */
// web/ (the browser script) is a world of its own: it imports only from web/ (checked below).
const LAYERS = [['src/merkle', 'src/onion', 'src/store'], ['src/blocks'], ['src/dht'], ['src/swarm'], ['src/streaming'], ['src/people'], ['src/node'], ['cli']]

const files = []
for (const top of ['src', 'cli', 'web']) {
  for (const e of readdirSync(join(root, top), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && /\.(ts|js)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(join(e.parentPath, e.name))
  }
}
const graph = new Map()
for (const file of files) {
  const deps = []
  for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) deps.push(resolve(dirname(file), m[1] ?? m[2]))
  graph.set(file, deps.filter(d => d !== file))
}

const layerOf = file => {
  const rel = relative(root, file)
  return LAYERS.findIndex(group => group.some(top => rel === top || rel.startsWith(top + '/')))
}
const problems = []
for (const [file, deps] of graph) {
  const inWeb = relative(root, file).startsWith('web/')
  for (const dep of deps) if (inWeb !== relative(root, dep).startsWith('web/')) problems.push(`web: ${relative(root, file)} imports ${relative(root, dep)} (the browser script and the node never share modules)`)

  for (const dep of deps) {
    const a = layerOf(file)
    const b = layerOf(dep)
    if (a >= 0 && b > a) problems.push(`layer: ${relative(root, file)} imports ${relative(root, dep)} (a layer above it)`)
  }
}

// Tarjan's strongly connected components: every component of more than one file is a cycle.
let index = 0
const stack = []
const info = new Map()
function visit (v) {
  info.set(v, { index, low: index, onStack: true })
  index++
  stack.push(v)
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue
    if (!info.has(w)) { visit(w); info.get(v).low = Math.min(info.get(v).low, info.get(w).low) } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index)
  }
  if (info.get(v).low === info.get(v).index) {
    const component = []
    let w
    do { w = stack.pop(); info.get(w).onStack = false; component.push(w) } while (w !== v)
    if (component.length > 1) problems.push(`cycle: ${component.map(f => relative(root, f)).sort().join(' <-> ')}`)
  }
}
for (const v of graph.keys()) if (!info.has(v)) visit(v)

if (problems.length > 0) {
  process.stderr.write(problems.join('\n') + '\n')
  process.exit(1)
}
process.stdout.write(`no import cycles and no upward imports in ${graph.size} modules of src/, cli/ and web/\n`)
