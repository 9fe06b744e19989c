// CRC-32 of two byte strings joined, from their CRCs and the second one's length (zlib's crc32_combine).

/** GF(2) matrix (32 columns of 32 bits) times vector. */
function times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0; vector !== 0; i++, vector >>>= 1) if (vector & 1) sum ^= matrix[i];
  return sum >>> 0;
}

function square(into: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) into[n] = times(matrix, matrix[n]);
}

/**
 * CRC-32 of A followed by B, given crc(A), crc(B) and B's length: what lets a prefix (a BOM)
 * join an entry whose CRC was computed without it, with no second pass over the data. As zlib
 * does it: apply len(B) zero bytes to crc(A) by repeated squaring of the one-zero-bit operator.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320; // the CRC-32 polynomial: the operator for one zero bit
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row >>> 0;
  square(even, odd); // two zero bits
  square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let length = lengthB;
  // Lengths are JS numbers (exact to 2^53): halve with Math.floor, not >>>.
  for (;;) {
    square(even, odd); // first pass: one zero byte
    if (length % 2 === 1) crc = times(even, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
    square(odd, even);
    if (length % 2 === 1) crc = times(odd, crc);
    length = Math.floor(length / 2);
    if (length === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
