// `oht unshare <id|link> [--delete-data]`: stop sharing a share and forget it (the daemon's
// DELETE /v0/shares/:id, or the node's state directly when no daemon runs).
import type { Command } from 'commander'
import { makeOutput, withService, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'
import { UsageError } from './exit.ts'

/** The share id a reference names: an id as is, or the id inside a link or verify capability. */
export async function shareIdOf (ref: string): Promise<string> {
  const [{ CID }, { parseCapability }] = await Promise.all([import('multiformats/cid'), import('../src/blocks/link.ts')])
  const text = ref.trim()
  if (text.includes(':')) return parseCapability(text).manifestCid.toString()
  try {
    return CID.parse(text).toString()
  } catch {
    throw new UsageError('usage.badShareRef', t('shares.unshare.badRef', { ref: text.slice(0, 80) }))
  }
}

export function registerUnshare (program: Command): void {
  program.command('unshare')
    .description(t('shares.unshare.description'))
    .argument('<id|link>', t('shares.unshare.argRef'))
    .option('--delete-data', t('shares.unshare.optDeleteData'))
    .action(async (ref: string, opts: { deleteData?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>()
      const out = makeOutput(g)
      const id = await shareIdOf(ref)
      await withService(g, out, async service => {
        const r = await service.unshare(id, { deleteData: opts.deleteData === true })
        out.result(r, [t('shares.unshare.done', { id }), ...r.removed.map(path => t('shares.unshare.removed', { path }))].join('\n'))
      })
    })
}

/** `--seed-ratio`: a number ≥ 0. */
export function parseRatio (text: string): number {
  const v = Number(text)
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new Error(t('shares.badRatio', { value: text }))
  return v
}
