// How a manifest path becomes a local file name (docs/SECURITY.md, "Names"). On Linux and macOS a
// name is written as given: the manifest already refuses whatever a POSIX file system cannot take
// ('/', NUL, '.', '..', control characters, over 255 bytes), and a `.part` name too long is
// shortened (plainstore.ts partName). Windows also reserves device names and a few characters;
// there each segment gets its portable form, so such a share is fetched whole, never refused.

/** Windows device names, with or without an extension, in any case. */
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i
/** Characters Windows does not allow in a name. */
const FORBIDDEN = /[<>:"|?*]/g

/**
 * The portable form of one path segment: `< > : " | ? *` become `_`, trailing dots and spaces
 * become `_`, and a device name gets `_` after its stem (`CON.txt` → `CON_.txt`). Anything else is
 * unchanged, so most names keep their form.
 */
export function portableSegment (segment: string): string {
  let name = segment.replace(FORBIDDEN, '_').replace(/[. ]+$/, m => '_'.repeat(m.length))
  const reserved = RESERVED.exec(name)
  if (reserved != null) name = `${reserved[1]!}_${reserved[2] ?? ''}`
  return name
}

/** The segments of a manifest path as this platform writes them. */
export function localSegments (path: string, platform: NodeJS.Platform = process.platform): string[] {
  const segments = path.split('/')
  return platform === 'win32' ? segments.map(portableSegment) : segments
}
