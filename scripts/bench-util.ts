// What the benches share: per-thread CPU (Linux /proc), medians, and CSV like the product_inventory export's.
import fs from "node:fs";

/** CPU seconds of each of this process's threads so far, by thread id (utime + stime, clock ticks of 10 ms); the main thread's id is the pid. */
export function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of fs.readdirSync("/proc/self/task")) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(tid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** Each thread's CPU seconds since `before` (a `threadCpu()` reading; threads started since count whole), 0.01 s and over, largest first; the main thread is "main". */
export function threadCpuSince(before: Map<string, number>, after = threadCpu()): [string, number][] {
  return [...after]
    .map(([tid, cpu]) => [tid === String(process.pid) ? "main" : tid, cpu - (before.get(tid) ?? 0)] as [string, number])
    .filter(([, cpu]) => cpu >= 0.01)
    .sort((a, b) => b[1] - a[1]);
}

/** The median (of an even count, the mean of the two middle values). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** At least `bytes` of CSV like the product_inventory export's (~97 bytes a row); `quoted`: a quoted field with commas in every row. */
export function inventoryCsv(bytes: number, quoted = true): Buffer {
  const rows: string[] = ["sku,product_id,product_name,warehouse,qty_on_hand,reorder_point,unit_cost,updated_at\n"];
  let size = rows[0].length;
  for (let i = 0; size < bytes; i++) {
    const name = quoted ? `"Rose orange, bouquet, ${i % 3 === 0 ? "large" : "small"}"` : `Rose orange bouquet ${i % 3 === 0 ? "large" : "small"}`;
    const row = `FLOWER${100000 + (i % 50000)},${100000 + i},${name},Aalsmeer Hub,${i % 250},43,${(i % 5000) / 100},2024-11-29 20:27:05\n`;
    rows.push(row);
    size += row.length;
  }
  return Buffer.from(rows.join(""));
}
