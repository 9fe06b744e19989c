// Gzip members (RFC 1952) as raw deflate streams: where the deflate data starts, and what the trailer says.

const ID1 = 0x1f;
const ID2 = 0x8b;
const CM_DEFLATE = 8;
const FHCRC = 0x02;
const FEXTRA = 0x04;
const FNAME = 0x08;
const FCOMMENT = 0x10;
const RESERVED = 0xe0;
/** CRC-32 and ISIZE (uncompressed size mod 2^32), little-endian, after the deflate data. */
export const GZIP_TRAILER = 8;
/**
 * Output chunk of the inflate pass over a gzip part (zlib's default is 16 KiB). Each chunk is one
 * trip from libuv's pool back to the main thread, a Buffer, a 'data' event, a CRC call and a
 * record count: with 16 KiB chunks that overhead was two thirds of the pass. Measured on the
 * 97 MB product_inventory CSV gzipped (17.8 MB): gunzip stream + CRC took 0.44-0.57 s of CPU with
 * 16 KiB chunks, 0.15 s with 256 KiB or 1 MiB ones (inflateSync of the whole: 0.29-0.31 s).
 */
export const INFLATE_CHUNK = 256 * 1024;

/**
 * Length of the gzip header at the start of `bytes`, or null when `bytes` ends before the header
 * does (read more and ask again). Throws on anything that is not a deflate gzip member.
 */
export function gzipHeaderLength(bytes: Buffer): number | null {
  if (bytes.length < 10) return null;
  if (bytes[0] !== ID1 || bytes[1] !== ID2) throw new Error("not a gzip stream (bad magic bytes)");
  if (bytes[2] !== CM_DEFLATE) throw new Error(`gzip compression method ${bytes[2]} is not deflate`);
  const flags = bytes[3];
  if (flags & RESERVED) throw new Error("gzip header has reserved flags set");
  let at = 10;
  if (flags & FEXTRA) {
    if (bytes.length < at + 2) return null;
    at += 2 + bytes.readUInt16LE(at);
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flags & flag)) continue;
    const nul = bytes.indexOf(0, at);
    if (nul === -1) return null;
    at = nul + 1;
  }
  if (flags & FHCRC) at += 2;
  return bytes.length < at ? null : at;
}

/** The trailer's CRC-32 and ISIZE. */
export function readGzipTrailer(trailer: Buffer): { crc32: number; isize: number } {
  return { crc32: trailer.readUInt32LE(0), isize: trailer.readUInt32LE(4) };
}

/**
 * A stored deflate block that is not the last one, holding `bytes` (at most 65,535): written in
 * front of a raw deflate stream, it adds those bytes (a UTF-8 BOM) to what the stream inflates
 * to, without touching the stream. A deflate stream always starts on a byte boundary, and a
 * stored block ends on one, so the two simply concatenate.
 */
export function storedDeflateBlock(bytes: Buffer): Buffer {
  if (bytes.length > 0xffff) throw new RangeError("a stored deflate block holds at most 65,535 bytes");
  const block = Buffer.alloc(5 + bytes.length);
  block[0] = 0x00; // BFINAL = 0, BTYPE = 00 (stored), then padding to the byte boundary
  block.writeUInt16LE(bytes.length, 1);
  block.writeUInt16LE(~bytes.length & 0xffff, 3);
  bytes.copy(block, 5);
  return block;
}
