// The console's /name: publish, resolve, list and remove names through the daemon's API
// (routes-names.ts), the same calls as `oht name`.
import { NamesApiClient } from '../../src/node/api/names-client.ts'
import { t } from '../i18n/index.ts'
import { listText, publishedText } from '../names.ts'
import type { ConsoleCommand } from './spec.ts'

export const nameCommands: ConsoleCommand[] = [
  {
    name: 'name',
    args: [{ name: 'action' }, { name: 'name', optional: true }, { name: 'target', optional: true }],
    choices: ['publish', 'resolve', 'list', 'rm'],
    help: 'names.description',
    run: async (ctx, { args }) => {
      const names = new NamesApiClient(ctx.client)
      const [action, name, target] = args
      const need = (v: string | undefined): string => {
        if (v == null) throw new Error(t('names.console.usage'))
        return v
      }
      if (action === 'publish') {
        const r = await names.publish(need(name), need(target))
        ctx.print(publishedText(r), 'ok')
      } else if (action === 'resolve') {
        ctx.print((await names.resolve(need(name))).target)
      } else if (action === 'rm') {
        const n = need(name)
        ctx.print(t(await names.remove(n) ? 'names.rm.done' : 'names.rm.none', { name: n }), 'ok')
      } else if (action === 'list') {
        ctx.print(listText(await names.list()))
      } else {
        throw new Error(t('names.console.usage'))
      }
    }
  }
]
