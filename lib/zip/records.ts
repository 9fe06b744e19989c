// The zip format's records (local and central headers, data descriptors, ZIP64, end records) as bytes.

/*
 * Format decisions (PKWARE APPNOTE 6.3.x section numbers in brackets).
 *
 * - Data descriptors, always [4.3.9]. The archive is written front to back and never seeks (it
 *   goes to an S3 multipart upload), so a local header is emitted before its entry's CRC and
 *   sizes exist. General purpose bit 3 says "CRC and sizes are zero here, look in the descriptor
 *   after the data (and in the central directory)". Entries whose sizes are known before they are
 *   written get the same layout anyway: that is what makes every way
 *   of writing an archive produce the same bytes.
 *
 * - ZIP64 only where a 32-bit field would overflow [4.3.14, 4.4.1.4, 4.5.3]: an entry whose size
 *   or compressed size is >= 0xFFFFFFFF gets 64-bit sizes in its data descriptor and both sizes in
 *   a ZIP64 extra field of its central header; an entry whose local header starts at or past
 *   0xFFFFFFFF gets its offset there. The archive gets a ZIP64 end of central directory record and
 *   locator when it has >= 0xFFFF entries (0xFFFF itself is the "look in ZIP64" marker) or when
 *   the central directory's size or offset is >= 0xFFFFFFFF. Local headers never carry a ZIP64
 *   extra: an entry's size is unknown when its header is written, and always adding one would
 *   make every small archive ZIP64. Readers that work from the central directory take sizes and
 *   offsets from there (the slow test suite runs Info-ZIP `unzip -t` and Python's
 *   `zipfile.testzip()` on a >4 GiB entry written this way). Readers that only walk local
 *   headers (java.util.zip.ZipInputStream, some streaming unzippers) cannot size a stored entry
 *   that has a data descriptor anyway: these archives are for download-then-open.
 *
 * - Names are UTF-8 with general purpose bit 11 set on every entry [4.4.4, appendix D].
 *
 * - Time: DOS date/time fields hold `mtime`'s UTC calendar fields (workers run in UTC; a DOS time
 *   has no zone, and local time would make the bytes depend on the worker's TZ). An "extended
 *   timestamp" extra field (0x5455) carries the exact UTC second for tools that read it.
 *
 * - "Version made by" is Unix with mode 0644 in the external attributes, so unzip extracts files
 *   as rw-r--r-- instead of guessing from the umask.
 */

const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_END = 0x06054b50;

const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
/** 2.0: deflate and data descriptors. */
const VERSION_DEFAULT = 20;
/** 4.5: ZIP64. */
const VERSION_ZIP64 = 45;
/** Upper byte 3 = Unix (external attributes hold a mode), lower byte = APPNOTE 6.3. */
const VERSION_MADE_BY = (3 << 8) | 63;
/** S_IFREG | 0644, in the upper half of the external attributes. */
const EXTERNAL_ATTRIBUTES = (0o100644 << 16) >>> 0;

export const U16_MAX = 0xffff;
export const U32_MAX = 0xffffffff;
const EXTRA_ZIP64 = 0x0001;
const EXTRA_TIMESTAMP = 0x5455;

/** What every header of one archive shares: its default compression method and timestamp. */
export interface HeaderStyle {
  method: number;
  dosTime: number;
  dosDate: number;
  /** The extended timestamp's Unix second, or null when `mtime` does not fit one. */
  unixTime: number | null;
}

/** An entry's CRC-32 and sizes, known once its data has been written. */
export interface EntryData {
  crc32: number;
  size: number;
  compressedSize: number;
}

/** A written entry as the central directory needs it. */
export interface CentralEntry extends EntryData {
  nameBytes: Buffer;
  /** The entry's compression method (a re-framed gzip part is deflated in a stored archive too). */
  method: number;
  /** Archive offset of the entry's local header. */
  offset: number;
}

export function headerStyle(method: number, mtime: Date): HeaderStyle {
  const { time, date } = toDosDateTime(mtime);
  const seconds = Math.floor(mtime.getTime() / 1000);
  return { method, dosTime: time, dosDate: date, unixTime: seconds >= 0 && seconds <= 0x7fffffff ? seconds : null };
}

export function localHeader(style: HeaderStyle, nameBytes: Buffer, method = style.method): Buffer {
  const extra = timestampExtra(style);
  const header = Buffer.alloc(30 + nameBytes.length + extra.length);
  header.writeUInt32LE(SIG_LOCAL, 0);
  header.writeUInt16LE(VERSION_DEFAULT, 4);
  header.writeUInt16LE(FLAG_DESCRIPTOR | FLAG_UTF8, 6);
  header.writeUInt16LE(method, 8);
  header.writeUInt16LE(style.dosTime, 10);
  header.writeUInt16LE(style.dosDate, 12);
  // CRC-32 and both sizes stay zero: they follow the data in the descriptor (bit 3).
  header.writeUInt16LE(nameBytes.length, 26);
  header.writeUInt16LE(extra.length, 28);
  nameBytes.copy(header, 30);
  extra.copy(header, 30 + nameBytes.length);
  return header;
}

function needsZip64Sizes(entry: EntryData): boolean {
  return entry.size >= U32_MAX || entry.compressedSize >= U32_MAX;
}

/** Signature, CRC-32, sizes: 64-bit sizes exactly when a 32-bit field would overflow. */
export function dataDescriptor(entry: EntryData): Buffer {
  const zip64 = needsZip64Sizes(entry);
  const descriptor = Buffer.alloc(zip64 ? 24 : 16);
  descriptor.writeUInt32LE(SIG_DESCRIPTOR, 0);
  descriptor.writeUInt32LE(entry.crc32, 4);
  if (zip64) {
    writeUInt64LE(descriptor, entry.compressedSize, 8);
    writeUInt64LE(descriptor, entry.size, 16);
  } else {
    descriptor.writeUInt32LE(entry.compressedSize, 8);
    descriptor.writeUInt32LE(entry.size, 12);
  }
  return descriptor;
}

export function centralHeader(style: HeaderStyle, entry: CentralEntry): Buffer {
  const zip64Sizes = needsZip64Sizes(entry);
  const zip64Offset = entry.offset >= U32_MAX;
  const zip64Values: number[] = [];
  // Order is fixed by the spec: original size, compressed size, local header offset.
  if (zip64Sizes) zip64Values.push(entry.size, entry.compressedSize);
  if (zip64Offset) zip64Values.push(entry.offset);
  const zip64Extra = Buffer.alloc(zip64Values.length > 0 ? 4 + 8 * zip64Values.length : 0);
  if (zip64Values.length > 0) {
    zip64Extra.writeUInt16LE(EXTRA_ZIP64, 0);
    zip64Extra.writeUInt16LE(8 * zip64Values.length, 2);
    zip64Values.forEach((value, i) => writeUInt64LE(zip64Extra, value, 4 + 8 * i));
  }
  const extra = Buffer.concat([zip64Extra, timestampExtra(style)]);
  const { nameBytes } = entry;
  const header = Buffer.alloc(46 + nameBytes.length + extra.length);
  header.writeUInt32LE(SIG_CENTRAL, 0);
  header.writeUInt16LE(VERSION_MADE_BY, 4);
  header.writeUInt16LE(zip64Values.length > 0 ? VERSION_ZIP64 : VERSION_DEFAULT, 6);
  header.writeUInt16LE(FLAG_DESCRIPTOR | FLAG_UTF8, 8);
  header.writeUInt16LE(entry.method, 10);
  header.writeUInt16LE(style.dosTime, 12);
  header.writeUInt16LE(style.dosDate, 14);
  header.writeUInt32LE(entry.crc32, 16);
  header.writeUInt32LE(zip64Sizes ? U32_MAX : entry.compressedSize, 20);
  header.writeUInt32LE(zip64Sizes ? U32_MAX : entry.size, 24);
  header.writeUInt16LE(nameBytes.length, 28);
  header.writeUInt16LE(extra.length, 30);
  // 32: comment length, 34: disk number start, 36: internal attributes, all zero.
  header.writeUInt32LE(EXTERNAL_ATTRIBUTES, 38);
  header.writeUInt32LE(zip64Offset ? U32_MAX : entry.offset, 42);
  nameBytes.copy(header, 46);
  extra.copy(header, 46 + nameBytes.length);
  return header;
}

/**
 * What follows the central directory: a ZIP64 end record and locator when a count, size or offset
 * overflows its classic field, then the classic end record.
 */
export function endRecords(count: number, directoryStart: number, directorySize: number): Buffer {
  const zip64 = count >= U16_MAX || directorySize >= U32_MAX || directoryStart >= U32_MAX;
  const parts: Buffer[] = [];
  if (zip64) {
    const recordOffset = directoryStart + directorySize;
    const record = Buffer.alloc(56);
    record.writeUInt32LE(SIG_ZIP64_END, 0);
    writeUInt64LE(record, 56 - 12, 4); // size of the record after this field
    record.writeUInt16LE(VERSION_MADE_BY, 12);
    record.writeUInt16LE(VERSION_ZIP64, 14);
    // 16: this disk, 20: disk where the central directory starts, both 0.
    writeUInt64LE(record, count, 24);
    writeUInt64LE(record, count, 32);
    writeUInt64LE(record, directorySize, 40);
    writeUInt64LE(record, directoryStart, 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
    // 4: disk holding the ZIP64 end record, 0.
    writeUInt64LE(locator, recordOffset, 8);
    locator.writeUInt32LE(1, 16); // total number of disks
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_END, 0);
  // 4: this disk, 6: disk where the central directory starts, both 0.
  end.writeUInt16LE(Math.min(count, U16_MAX), 8);
  end.writeUInt16LE(Math.min(count, U16_MAX), 10);
  end.writeUInt32LE(Math.min(directorySize, U32_MAX), 12);
  end.writeUInt32LE(Math.min(directoryStart, U32_MAX), 16);
  // 20: comment length, 0.
  parts.push(end);
  return Buffer.concat(parts);
}

/**
 * Extended timestamp (0x5455) holding only the modification time: flags = 1, then the Unix
 * second. Local and central copies are identical when mtime is the only time stored.
 */
function timestampExtra(style: HeaderStyle): Buffer {
  if (style.unixTime === null) return Buffer.alloc(0);
  const extra = Buffer.alloc(9);
  extra.writeUInt16LE(EXTRA_TIMESTAMP, 0);
  extra.writeUInt16LE(5, 2);
  extra.writeUInt8(1, 4);
  extra.writeUInt32LE(style.unixTime, 5);
  return extra;
}

/** Offsets and sizes are JS numbers (exact up to 2^53), written as two 32-bit halves. */
function writeUInt64LE(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32LE(value % 0x1_0000_0000, offset);
  buffer.writeUInt32LE(Math.floor(value / 0x1_0000_0000), offset + 4);
}

/** DOS date/time of the UTC calendar fields, clamped to the format's 1980..2107 range. */
function toDosDateTime(mtime: Date): { time: number; date: number } {
  const year = mtime.getUTCFullYear();
  if (year < 1980) return { time: 0, date: (1 << 5) | 1 };
  if (year > 2107) return { time: (23 << 11) | (59 << 5) | 29, date: (127 << 9) | (12 << 5) | 31 };
  return {
    time: (mtime.getUTCHours() << 11) | (mtime.getUTCMinutes() << 5) | Math.floor(mtime.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((mtime.getUTCMonth() + 1) << 5) | mtime.getUTCDate(),
  };
}

/**
 * Names are relative "/"-separated paths: no empty, absolute, "..", backslash or NUL names (a
 * careless unzip would write outside its folder), no directory names, no duplicates, and every
 * name must survive UTF-8 encoding unchanged (a lone surrogate would silently become U+FFFD).
 * Returns each name's UTF-8 bytes. Throws a TypeError on the first bad one.
 */
export function encodeEntryNames(names: string[]): Buffer[] {
  const seen = new Set<string>();
  return names.map((name) => {
    const nameBytes = Buffer.from(name, "utf8");
    const segments = name.split("/");
    const invalid =
      name.length === 0 ||
      nameBytes.length > U16_MAX ||
      nameBytes.toString("utf8") !== name ||
      /[\\\0]/.test(name) ||
      segments.some((segment) => segment === "" || segment === "." || segment === "..");
    if (invalid) throw new TypeError(`invalid zip entry name: ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new TypeError(`duplicate zip entry name: ${JSON.stringify(name)}`);
    seen.add(name);
    return nameBytes;
  });
}
