// Counting CSV record boundaries in blocks that may start inside a quoted field.

/**
 * A block's CSV record boundaries, counted without knowing whether the block starts inside a
 * quoted field: `newlinesOutside` assumes it starts outside. Every quote flips the state of both
 * readings at once, so at each newline exactly one of them is outside quotes, and a block that
 * starts inside quotes has `newlines - newlinesOutside` boundaries. `quotes` is odd when the
 * block ends in the opposite state from where it started. (`""`, an escaped quote, flips twice.)
 */
export interface CsvBlockCount {
  newlinesOutside: number;
  newlines: number;
  quotes: number;
}

/**
 * Counts one block. It jumps from quote to newline with indexOf (memchr), so bytes are never
 * looked at one by one in JavaScript. Self-contained (no outside names): the deflate threads
 * run its source text too.
 */
export function countCsvBlock(view: Buffer): CsvBlockCount {
  let inQuotes = false;
  let outside = 0;
  let quotes = 0;
  let i = 0;
  let quote = view.indexOf(0x22);
  for (;;) {
    if (inQuotes) {
      if (quote === -1) break;
      inQuotes = false;
      quotes++;
      i = quote + 1;
      quote = view.indexOf(0x22, i);
    } else {
      const nl = view.indexOf(0x0a, i);
      if (nl !== -1 && (quote === -1 || nl < quote)) {
        outside++;
        i = nl + 1;
      } else if (quote !== -1) {
        inQuotes = true;
        quotes++;
        i = quote + 1;
        quote = view.indexOf(0x22, i);
      } else break;
    }
  }
  let newlines = 0;
  for (let at = view.indexOf(0x0a); at !== -1; at = view.indexOf(0x0a, at + 1)) newlines++;
  return { newlinesOutside: outside, newlines, quotes };
}

/** Chains block counts in order into the records of one CSV stream. */
export class CsvRecordCounter {
  private inQuotes = false;
  private boundaries = 0;
  private lastByte = -1;

  add(count: CsvBlockCount, block: Buffer): void {
    this.boundaries += this.inQuotes ? count.newlines - count.newlinesOutside : count.newlinesOutside;
    if (count.quotes % 2 === 1) this.inQuotes = !this.inQuotes;
    if (block.length > 0) this.lastByte = block[block.length - 1];
  }

  /** Records seen, header included: a last line without a newline still counts. */
  get records(): number {
    return this.boundaries + (this.lastByte !== -1 && this.lastByte !== 0x0a ? 1 : 0);
  }
}
