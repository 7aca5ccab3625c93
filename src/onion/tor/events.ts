// Typed asynchronous events of the control port (control-spec §4.1). Only the events oht acts
// on are typed; any other event arrives as `{ type: 'other' }` with its raw text, so a
// subscriber never loses one.
import { parseArguments, type Reply } from './reply.ts'

/** `650 HS_DESC Action HSAddress AuthType HsDir [DescriptorID] [REASON=..] ...` */
export interface HsDescEvent {
  type: 'HS_DESC'
  /** REQUESTED, UPLOAD, RECEIVED, UPLOADED, IGNORE, FAILED, CREATED. */
  action: string
  /** The onion name without `.onion` (56 chars for v3), or UNKNOWN. */
  address: string
  authType: string
  /** `$<fingerprint>~<nickname>` of the directory, or UNKNOWN. */
  hsDir: string
  reason?: string
}

/** `650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=85 TAG=ap_conn_done SUMMARY="..."` and friends. */
export interface StatusClientEvent {
  type: 'STATUS_CLIENT'
  severity: string
  /** BOOTSTRAP, CIRCUIT_ESTABLISHED, CIRCUIT_NOT_ESTABLISHED, DANGEROUS_SOCKS, ... */
  action: string
  arguments: Map<string, string>
}

/** The BOOTSTRAP variant of STATUS_CLIENT, with its numbers parsed. */
export interface BootstrapProgress {
  progress: number
  tag: string
  summary: string
  /** Present when tor reports a bootstrap problem (BOOTSTRAP with WARNING). */
  warning?: string
}

/** `650 CIRC CircuitID CircStatus [Path] [BUILD_FLAGS=..] [PURPOSE=..] [HS_STATE=..] ...` */
export interface CircEvent {
  type: 'CIRC'
  id: string
  /** LAUNCHED, BUILT, GUARD_WAIT, EXTENDED, FAILED, CLOSED. */
  status: string
  path: string[]
  purpose?: string
  hsState?: string
  reason?: string
  socksUsername?: string
}

export interface OtherEvent {
  type: 'other'
  /** The event keyword (first word), e.g. `STREAM`. */
  name: string
  text: string
}

export type TorEvent = HsDescEvent | StatusClientEvent | CircEvent | OtherEvent

/** Event names oht subscribes to with SETEVENTS. */
export type TorEventName = 'HS_DESC' | 'STATUS_CLIENT' | 'CIRC' | (string & {})

export function parseEvent (reply: Reply): TorEvent {
  const first = reply.lines[0]
  const text = first?.text ?? ''
  const space = text.indexOf(' ')
  const name = space < 0 ? text : text.slice(0, space)
  const rest = space < 0 ? '' : text.slice(space + 1)
  const { positional, keywords } = parseArguments(rest)
  switch (name) {
    case 'HS_DESC': {
      const event: HsDescEvent = {
        type: 'HS_DESC',
        action: positional[0] ?? '',
        address: positional[1] ?? '',
        authType: positional[2] ?? '',
        hsDir: positional[3] ?? ''
      }
      const reason = keywords.get('REASON')
      if (reason !== undefined) event.reason = reason
      return event
    }
    case 'STATUS_CLIENT':
      return { type: 'STATUS_CLIENT', severity: positional[0] ?? '', action: positional[1] ?? '', arguments: keywords }
    case 'CIRC': {
      const event: CircEvent = {
        type: 'CIRC',
        id: positional[0] ?? '',
        status: positional[1] ?? '',
        path: positional[2]?.split(',') ?? []
      }
      const set = (key: 'purpose' | 'hsState' | 'reason' | 'socksUsername', from: string): void => {
        const v = keywords.get(from)
        if (v !== undefined) event[key] = v
      }
      set('purpose', 'PURPOSE'); set('hsState', 'HS_STATE'); set('reason', 'REASON'); set('socksUsername', 'SOCKS_USERNAME')
      return event
    }
    default:
      return { type: 'other', name, text: reply.lines.map(l => l.data === undefined ? l.text : `${l.text}\n${l.data}`).join('\n') }
  }
}

/** The bootstrap numbers of a STATUS_CLIENT BOOTSTRAP event, or of `GETINFO status/bootstrap-phase`. */
export function bootstrapOf (arguments_: Map<string, string>): BootstrapProgress {
  const progress = Number(arguments_.get('PROGRESS') ?? NaN)
  const out: BootstrapProgress = {
    progress: Number.isFinite(progress) ? progress : 0,
    tag: arguments_.get('TAG') ?? '',
    summary: arguments_.get('SUMMARY') ?? ''
  }
  const warning = arguments_.get('WARNING')
  if (warning !== undefined) out.warning = warning
  return out
}
