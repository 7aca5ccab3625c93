// torrc lines of the private test network's tors: shared, authority, plain relay.

/** Voting every 10 s: a first consensus within ~20 s of start, instead of the real network's hour. */
export const VOTING_INTERVAL_S = 10

/** A relay's ORPort: where it is advertised (and reached) and where tor really listens; equal on a LAN. */
export interface RelayPorts {
  advertised: number
  listen: number
}

/** Bandwidth a relay may relay, bytes per second (tor's RelayBandwidthRate/Burst). */
export interface RelayBandwidth {
  rate: number
  burst?: number
}

/** torrc lines every tor of the network shares (authorities, relays and clients). */
export function commonConfig (dirAuthorityLines: string[], emptyGeoIp: string): string[] {
  return [
    'TestingTorNetwork 1',
    ...dirAuthorityLines,
    'OutboundBindAddress 127.0.0.1',
    // With four relays tor must not wait for the usual share of paths before building circuits.
    'PathsNeededToBuildCircuits 0.67',
    'TestingDirAuthVoteGuard *',
    'TestingDirAuthVoteHSDir *',
    'V3AuthNIntervalsValid 2',
    // Tor's scheduler ticks every 10 ms by default: ~96 ms round trips over six loopback hops.
    'KISTSchedRunInterval 1',
    `GeoIPFile ${emptyGeoIp}`,
    `GeoIPv6File ${emptyGeoIp}`,
    'SafeLogging 0'
  ]
}

/** Lines every relay has, authority or not. */
function relayConfig (name: string, ports: RelayPorts, bandwidth: RelayBandwidth | undefined): string[] {
  return [
    `Nickname ${name}`,
    'Address 127.0.0.1',
    // On a WAN testbed the advertised port is a delay proxy in front of the real one: tor publishes
    // the first and listens on the second, so every link into this relay pays the delay.
    ...(ports.advertised === ports.listen
      ? [`ORPort 127.0.0.1:${ports.listen}`]
      : [`ORPort 127.0.0.1:${ports.advertised} NoListen`, `ORPort 127.0.0.1:${ports.listen} NoAdvertise`]),
    ...(bandwidth === undefined
      ? []
      : [`RelayBandwidthRate ${bandwidth.rate} bytes`, `RelayBandwidthBurst ${Math.max(bandwidth.burst ?? bandwidth.rate, bandwidth.rate)} bytes`]),
    'AssumeReachable 1',
    'ExitRelay 0',
    'ExitPolicy reject *:*',
    'ServerDNSResolvConfFile /dev/null',
    'ServerDNSDetectHijacking 0',
    'ContactInfo oht test network <nobody@localhost>'
  ]
}

export function authorityConfig (name: string, ports: RelayPorts, dirPort: number, bandwidth: RelayBandwidth | undefined): string[] {
  return [
    ...relayConfig(name, ports, bandwidth),
    `DirPort 127.0.0.1:${dirPort}`,
    'AuthoritativeDirectory 1',
    'V3AuthoritativeDirectory 1',
    `V3AuthVotingInterval ${VOTING_INTERVAL_S}`,
    'V3AuthVoteDelay 2',
    'V3AuthDistDelay 2',
    `TestingV3AuthInitialVotingInterval ${VOTING_INTERVAL_S}`,
    'TestingV3AuthInitialVoteDelay 2',
    'TestingV3AuthInitialDistDelay 2'
  ]
}

/** A plain (non-authority, non-exit) relay: more aggregate capacity, since circuits otherwise share the four authorities. */
export function plainRelayConfig (name: string, ports: RelayPorts, bandwidth: RelayBandwidth | undefined): string[] {
  return relayConfig(name, ports, bandwidth)
}
