// Seeded PRNG for the interop suites (never Math.random): sfc32 seeded through
// splitmix32, so every seed, 0 included, gives a well-mixed stream.
// lib0/prng is not used: its generator is constant for seed 0.

const splitmix32 = a => () => {
  a = (a + 0x9e3779b9) | 0
  let z = a
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

export class Rng {
  /** @param {number} seed any safe integer */
  constructor (seed) {
    const sm = splitmix32((seed >>> 0) ^ Math.floor(seed / 2 ** 32) * 0x27d4eb2d)
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm()
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** Uniform 32-bit unsigned integer. */
  u32 () {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Float in [0, 1). */
  next () { return this.u32() / 2 ** 32 }
  /** Integer in [min, max] (inclusive), for spans up to 2^53. */
  int (min, max) {
    const span = max - min + 1
    const r = span <= 2 ** 32 ? this.next() : (this.u32() * 2 ** 21 + (this.u32() >>> 11)) / 2 ** 53
    return min + Math.floor(r * span)
  }

  chance (p) { return this.next() < p }
  pick (arr) { return arr[this.int(0, arr.length - 1)] }
  shuffle (arr) {
    const a = arr.slice()
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i)
      ;[a[i], a[j]] = [a[j], a[i]]
    }
    return a
  }
}

export const createRng = seed => new Rng(seed)
