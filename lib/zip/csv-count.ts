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
 * Counts one block in one pass, jumping with indexOf (memchr) between quotes and newlines so bytes
 * are never looked at one by one in JavaScript. The next newline's position is kept until the scan
 * passes it: a row with a quoted field (`a,"b, c",d\n`) costs three indexOf calls, not five (the
 * version before this one searched for the same newline again after every quote, then counted all
 * newlines in a second pass: 354 MB/s against 1.1-1.7 GB/s on the product_inventory CSV, see
 * scripts/bench-csv-count.ts). Newlines inside quotes are counted only where a quoted field holds
 * one. Self-contained (no outside names): the deflate threads run its source text too.
 */
export function countCsvBlock(view: Buffer): CsvBlockCount {
  let outside = 0;
  let inside = 0;
  let quotes = 0;
  let nl = view.indexOf(0x0a);
  let quote = view.indexOf(0x22);
  for (;;) {
    // Outside quotes, up to the next opening quote (or the end).
    while (nl !== -1 && (quote === -1 || nl < quote)) {
      outside++;
      nl = view.indexOf(0x0a, nl + 1);
    }
    if (quote === -1) break;
    quotes++;
    const close = view.indexOf(0x22, quote + 1);
    // Inside quotes, up to the closing quote (or the end: the block ends inside a quoted field).
    while (nl !== -1 && (close === -1 || nl < close)) {
      inside++;
      nl = view.indexOf(0x0a, nl + 1);
    }
    if (close === -1) break;
    quotes++;
    quote = view.indexOf(0x22, close + 1);
  }
  return { newlinesOutside: outside, newlines: outside + inside, quotes };
}

/** Saved counter state: [inQuotes 0/1, record boundaries, last byte or -1] (the resumable writer's checkpoints hold it). */
export type CsvCounterState = [number, number, number];

/** Chains block counts in order into the records of one CSV stream; its state can be saved and restored. */
export class CsvRecordCounter {
  private inQuotes: boolean;
  private boundaries: number;
  private lastByte: number;

  constructor(saved: CsvCounterState | null = null) {
    this.inQuotes = saved ? saved[0] === 1 : false;
    this.boundaries = saved ? saved[1] : 0;
    this.lastByte = saved ? saved[2] : -1;
  }

  save(): CsvCounterState {
    return [this.inQuotes ? 1 : 0, this.boundaries, this.lastByte];
  }

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

/** Records of a whole stream counted as one block (`count`, starting outside quotes) whose last byte is `lastByte` (-1: no bytes). */
export function csvRecordsOf(count: CsvBlockCount, lastByte: number): number {
  return count.newlinesOutside + (lastByte !== -1 && lastByte !== 0x0a ? 1 : 0);
}
