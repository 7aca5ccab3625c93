import type { Params } from '../index.ts'
import { plural } from '../plural.ts'

// Commander's own errors (cli/commander-errors.ts matches its English text and fills these in).
export default {
  'commander.missingArgument': 'das Argument \'{name}\' fehlt',
  'commander.optionMissingArgument': 'die Option \'{option}\' braucht einen Wert',
  'commander.missingMandatoryOption': 'die Option \'{option}\' ist Pflicht',
  'commander.unknownOption': 'unbekannte Option \'{option}\'',
  'commander.unknownCommand': 'unbekannter Befehl \'{command}\'',
  'commander.excessArguments': (p: Params) => `zu viele Argumente${p.command !== '' ? ` für '${p.command}'` : ''}: erwartet ${p.expected} ${plural('de', p.expected, { one: 'Argument', other: 'Argumente' })}, erhalten ${p.got}`,
  'commander.invalidOption': 'Option \'{option}\': ungültiger Wert \'{value}\'. {reason}',
  'commander.invalidArgument': 'Argument \'{name}\': ungültiger Wert \'{value}\'. {reason}',
  'commander.conflict': '{first} lässt sich nicht mit {second} verwenden',
  'commander.didYouMean': '(meinten Sie {suggestion}?)',
  'commander.didYouMeanOneOf': '(meinten Sie eines von {suggestions}?)'
}
