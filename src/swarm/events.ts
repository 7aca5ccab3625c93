// Typed progress events of a swarm, for the CLI, the API and the dashboard (as Helia's
// ProgressEvent unions): one discriminated union, `type` names the event.
export type SwarmEvent =
  | { type: 'peer:connected', peer: string }
  /** `refusal`: what the peer said before it went (an oht_v1 `refuse`), if it did. */
  | { type: 'peer:closed', peer: string, reason?: string, refusal?: string }
  | { type: 'peer:banned', peer: string, reason: string }
  /** A node dropped to free its slot for a newcomer (idle while the swarm was full). */
  | { type: 'peer:evicted', peer: string, reason: string }
  /** The peer asked for metadata said nothing in time: another is asked. */
  | { type: 'metadata:timeout', peer: string }
  | { type: 'manifest:received', peer: string }
  | { type: 'leaves:verified', peer: string, count: number }
  | { type: 'block:requested', peer: string, index: number }
  | { type: 'block:verified', peer: string, index: number, bytes: number }
  | { type: 'block:rejected', peer: string, index: number, reason: string }
  | { type: 'block:timeout', peer: string, index: number }
  /** A request withdrawn from this peer (cancelled, timed out) was answered anyway: the block is used. */
  | { type: 'block:late', peer: string, index: number }
  /**
   * Every connected node that has this wanted block refused it MAX_REFUSALS_PER_BLOCK times: no
   * peer here can serve it. `reason`: what the last refusing peer said, if it said (a `refuse`).
   */
  | { type: 'block:unavailable', index: number, reason?: string }
  | { type: 'block:served', peer: string, index: number, bytes: number }
  | { type: 'complete', blocks: number }
