import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

// Commander's own errors (cli/commander-errors.ts matches its English text and fills these in).
export default {
  'commander.missingArgument': 'missing required argument \'{name}\'',
  'commander.optionMissingArgument': 'option \'{option}\' needs a value',
  'commander.missingMandatoryOption': 'required option \'{option}\' not given',
  'commander.unknownOption': 'unknown option \'{option}\'',
  'commander.unknownCommand': 'unknown command \'{command}\'',
  'commander.excessArguments': (p: Params) => `too many arguments${p.command !== '' ? ` for '${p.command}'` : ''}: expected ${p.expected} ${plural('en', p.expected, { one: 'argument', other: 'arguments' })}, got ${p.got}`,
  'commander.invalidOption': 'option \'{option}\': bad value \'{value}\'. {reason}',
  'commander.invalidArgument': 'argument \'{name}\': bad value \'{value}\'. {reason}',
  'commander.conflict': '{first} cannot be used with {second}',
  'commander.didYouMean': '(did you mean {suggestion}?)',
  'commander.didYouMeanOneOf': '(did you mean one of {suggestions}?)'
}
