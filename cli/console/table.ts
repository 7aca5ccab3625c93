// The console's command table: every command, in the order /help lists them.
import { coreCommands } from './commands-core.ts'
import { fileCommands } from './commands-files.ts'
import { networkCommands } from './commands-network.ts'
import { nodeCommands } from './commands-node.ts'
import { nameCommands } from './commands-names.ts'
import { channelCommands } from './commands-channels.ts'
import { peopleCommands } from './commands-people.ts'
import type { ConsoleCommand } from './spec.ts'

export const COMMANDS: readonly ConsoleCommand[] = [...coreCommands, ...fileCommands, ...networkCommands, ...nameCommands, ...peopleCommands, ...channelCommands, ...nodeCommands]
