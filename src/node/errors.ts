// Errors of the node carry a code and parameters besides an English message: whoever shows them
// (the CLI, in the user's language, with the flags that fix them) maps the code to its own text,
// and the API passes code and params on. Messages here name no command-line flag.

export type NodeErrorCode =
  | 'keystore.missing' | 'keystore.locked' | 'keystore.unreadable'
  | 'account.badId' | 'account.none' | 'account.several' | 'account.unknown' | 'account.ambiguous'
  | 'account.badNodeId' | 'account.badLifetime' | 'account.badCert'
  | 'fetch.notHeld' | 'fetch.notHeldOffline' | 'fetch.noPeers' | 'fetch.noProviders' | 'fetch.bootstrapUnreachable' | 'fetch.unreachable' | 'fetch.incomplete'
  | 'fetch.notOffered' | 'fetch.peersGone' | 'fetch.noSource' | 'fetch.noSpace' | 'share.notFound'
  | 'pin.badLifetime' | 'pin.noPeer' | 'pin.noTransport' | 'pin.failed' | 'pin.badCapability' | 'pin.badQuota' | 'pin.badMaxPins'
  | 'dht.badRef' | 'dht.badSalt' | 'dht.badHandle' | 'dht.badKind' | 'dht.immutable' | 'dht.notOwner'
  | 'transfer.notFound' | 'transfer.state' | 'transfer.streamPause' | 'transfer.failed'
  | 'transfer.duplicate' | 'transfer.noFile' | 'transfer.badPriority' | 'transfer.allSkipped' | 'stream.noFile'
  | 'node.busy' | 'node.closing' | 'node.stateKey' | 'node.stateDamaged'
  | 'dht.badAddress' | 'dht.badNodeId' | 'dht.nodeNotFound' | 'tor.notTor' | 'tor.attached' | 'tor.rateLimited' | 'tor.notListening' | 'tor.newOnionsFailed'
  | 'webui.onionNeedsTor'
  | 'account.badKind' | 'account.badKey' | 'account.v3Kind' | 'keystore.v3unsupported'
  | 'account.notBox' | 'account.boxRefused' | 'account.boxKind' | 'account.boxTooLarge' | 'account.needsYes'

export type NodeErrorParams = Record<string, string>

export class NodeError extends Error {
  override name = 'NodeError'
  readonly code: NodeErrorCode
  readonly params: NodeErrorParams
  constructor (code: NodeErrorCode, params: NodeErrorParams, message: string) {
    super(message)
    this.code = code
    this.params = params
  }
}

/** Events the node reports instead of printing: whoever runs it decides what the user sees. */
export type NodeWarning =
  | { type: 'network-retry', reason: string }
  | { type: 'dht-join-failed', reason: string }
  | { type: 'pin-error', reason: string }
  | { type: 'republish-failed', reason: string }
  /** A file a contact sent could not be fetched by itself (`oht contact autofetch`). */
  | { type: 'autofetch-failed', reason: string }

export type WarningSink = (warning: NodeWarning) => void
