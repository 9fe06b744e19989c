/** Test data for the zip writer's tests: deterministic CSV with quoted fields, embedded newlines and doubled quotes. */

/** `rows` rows of `id,name,note` from a linear congruential sequence; `spread` bounds the plain notes' values (how well it compresses). */
export function quotedCsv(rows: number, seed = 1, spread = 1000): Buffer {
  const lines = ["id,name,note"];
  let x = seed;
  for (let i = 0; i < rows; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    lines.push(`${i},"Tulip ${x % 97}",${i % 11 === 0 ? `"two\nlines, ""quoted"""` : x % spread}`);
  }
  return Buffer.from(lines.join("\n") + "\n");
}
