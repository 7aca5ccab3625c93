import mime from 'mime'

/**
 * The media type of a file by its extension (the `mime` package's table, IANA plus common types
 * such as .vtt, .srt, .flv, .wmv), or undefined when it is unknown or
 * only octet-stream. Text types are declared UTF-8
 * so browsers opening a streaming URL do not guess an encoding.
 */
export function guessMime (path: string): string | undefined {
  const type = mime.getType(path)
  // octet-stream says nothing: left out of the manifest, as for an unknown extension.
  if (type == null || type === 'application/octet-stream') return undefined
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type
}
