/**
 * The A/B traffic router: a request key (account, symbol or request id) hashed with the test id
 * into a bucket 0..99; buckets below `trafficSplit` go to the candidate B. Deterministic (a key
 * always meets the same arm of a test), stateless, uniform, and independent between tests.
 */
export type Arm = 'A' | 'B';

export function bucketOf(key: string, testId: string): number {
  // FNV-1a 32-bit over the UTF-16 code units of "testId:key", then a murmur3-style finaliser so
  // that keys differing in one character spread over all buckets.
  let hash = 0x811c9dc5;
  const text = `${testId}:${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  // Multiply-shift maps the 32-bit hash onto 0..99 without the bias of a modulo.
  return Math.floor(((hash >>> 0) * 100) / 4_294_967_296);
}

export function assignArm(key: string, testId: string, trafficSplit: number): Arm {
  return bucketOf(key, testId) < trafficSplit ? 'B' : 'A';
}
