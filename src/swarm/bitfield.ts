/** BitTorrent bit order: bit 0 is the high bit of byte 0. */
export class Bits {
  readonly bytes: Uint8Array
  readonly size: number
  #count = 0

  constructor (size: number, from?: Uint8Array) {
    this.size = size
    this.bytes = new Uint8Array(Math.ceil(size / 8))
    if (from != null) {
      this.bytes.set(from.subarray(0, this.bytes.length))
      // Spare bits past the end must be zero (BEP 3); clear them rather than trust them.
      const spare = this.bytes.length * 8 - size
      if (spare > 0) this.bytes[this.bytes.length - 1]! &= (0xff << spare) & 0xff
      for (let i = 0; i < size; i++) if (this.get(i)) this.#count++
    }
  }

  get count (): number { return this.#count }
  get complete (): boolean { return this.#count === this.size }

  get (i: number): boolean {
    if (i < 0 || i >= this.size) return false
    return (this.bytes[i >> 3]! & (0x80 >> (i & 7))) !== 0
  }

  set (i: number): boolean {
    if (i < 0 || i >= this.size || this.get(i)) return false
    this.bytes[i >> 3]! |= 0x80 >> (i & 7)
    this.#count++
    return true
  }
}
