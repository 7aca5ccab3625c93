// `oht config get|set|unset|list|path`: the configuration file (src/node/identity/config.ts), validated.
import type { Command } from 'commander'
import { ConfigError, CONFIG_KEYS, type ConfigValue } from '../src/node/identity/config.ts'
import { configErrorText, configFileFor, makeOutput, type GlobalOptions } from './context.ts'
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
    .action((key: string, text: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      const file = configFileFor(g)
      const value = translated(() => file.set(key, text))
      makeOutput(g).result({ key, value, path: file.path }, `${t('config.saved', { key, value: show(value) })}\n${t('config.restart')}`)
    })

  config.command('unset')
    .description(t('config.unset.description'))
    .argument('<key>', t('config.argKey', { keys }))
    .action((key: string, _opts, cmd: Command) => {
      const g = globals(cmd)
      translated(() => { configFileFor(g).unset(key) })
      makeOutput(g).result({ key, removed: true }, t('config.removed', { key }))
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
