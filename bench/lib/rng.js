// A small seeded random source (mulberry32) with the helpers the soak and the watch
// benchmark need, so that a run's choices replay from its printed seed.

export function makeRng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    /** [0, 1) */
    next,
    /** An integer in [lo, hi] (both included). */
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    /** A number in [lo, hi). */
    float: (lo, hi) => lo + next() * (hi - lo),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)],
    /** One key of `weights` ({ name: weight }), drawn in proportion to its weight. */
    weighted(weights) {
      const entries = Object.entries(weights).filter(([, w]) => w > 0);
      let r = next() * entries.reduce((s, [, w]) => s + w, 0);
      for (const [name, w] of entries) {
        r -= w;
        if (r < 0) return name;
      }
      return entries.at(-1)[0];
    },
    /** An independent stream for one consumer, so adding draws in one place does not shift another's. */
    fork: (label) => makeRng(hashSeed(`${seed}:${label}`)),
  };
  return rng;
}

/** A 32-bit seed from a string (FNV-1a). */
export function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
