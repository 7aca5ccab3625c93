// `oht config get|set|unset|list|path`: the configuration file (src/node/identity/config.ts), validated.
import type { Command } from 'commander'
import { ConfigError, CONFIG_KEYS, type ConfigValue } from '../src/node/identity/config.ts'
import { configErrorText, configFileFor, daemonFor, makeOutput, type GlobalOptions } from './context.ts'
import { t } from './i18n/index.ts'

const show = (v: ConfigValue | undefined): string => v == null ? t('config.unset') : Array.isArray(v) ? v.join(',') : v

/** Runs `fn`, turning a ConfigError into a message in the user's language. */
function translated<T> (fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    // Keeps its code for --json (config.badValue); main.ts words it in the user's language.
    throw err instanceof ConfigError ? Object.assign(new Error(configErrorText(err)), { code: `config.${err.code}` }) : err
  }
}

export function registerConfig (program: Command): void {
  const config = program.command('config').description(t('config.description'))
  const keys = Object.keys(CONFIG_KEYS).join(', ')
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>()

  config.command('get')
    .description(t('config.get.description'))
    .argument('<key>', t('config.argKey', { keys }))
    .action((key: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const value = translated(() => configFileFor(g).get(key))
      makeOutput(g).result({ key, value: value ?? null }, show(value))
    })

  config.command('set')
    .description(t('config.set.description'))
    .argument('<key>', t('config.argKey', { keys }))
    .argument('<value>', t('config.argValue'))
    .action(async (key: string, text: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const file = configFileFor(g)
      const value = translated(() => file.set(key, text))
      // A running daemon of this data directory is told, and applies what it can at once.
      const applied = await tellDaemon(g, 'PUT', key, { value: text })
      const note = applied == null ? t('config.restart') : t(applied ? 'config.appliedLive' : 'config.restartNeeded')
      makeOutput(g).result({ key, value, path: file.path, ...(applied != null ? { applied } : {}) }, `${t('config.saved', { key, value: show(value) })}\n${note}`)
    })

  config.command('unset')
    .description(t('config.unset.description'))
    .argument('<key>', t('config.argKey', { keys }))
    .action(async (key: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      translated(() => { configFileFor(g).unset(key) })
      const applied = await tellDaemon(g, 'DELETE', key)
      makeOutput(g).result({ key, removed: true, ...(applied != null ? { applied } : {}) }, t('config.removed', { key }))
    })

  config.command('list')
    .description(t('config.list.description'))
    .action((_opts, cmd: Command) => {
      const g = globals(cmd)
      const file = configFileFor(g)
      const values = translated(() => file.load())
      const lines = Object.entries(CONFIG_KEYS).flatMap(([key, def]) => [
        t('config.listLine', { key, value: show(values[key]) }),
        t('config.listHelp', { example: def.example, usedBy: t(`config.usedBy.${key}`) })
      ])
      makeOutput(g).result({ path: file.path, values }, [file.path, ...lines].join('\n'))
    })

  config.command('path')
    .description(t('config.path.description'))
    .action((_opts, cmd: Command) => {
      const g = globals(cmd)
      const path = configFileFor(g).path
      makeOutput(g).result({ path }, path)
    })
}

/**
 * Passes a config change to the daemon of this data directory, if one runs and reads this same
 * file: whether it applied it at once; undefined without a daemon (or one that reads another file).
 */
async function tellDaemon (g: GlobalOptions, method: 'PUT' | 'DELETE', key: string, body?: { value: string }): Promise<boolean | undefined> {
  const daemon = await daemonFor(g)
  if (daemon == null) return undefined
  const current = await daemon.call('GET', '/config').catch(() => undefined) as { path?: string } | undefined
  if (current?.path !== configFileFor(g).path) return undefined
  const answer = await daemon.call(method, `/config/${encodeURIComponent(key)}`, body) as { applied?: boolean }
  return answer.applied === true
}
