// CPU time of each thread of this process (Linux /proc), for the benches' per-thread figures.
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

/** CPU seconds of this process's main thread so far. */
export function mainThreadCpu(): number {
  return threadCpu().get(String(process.pid)) ?? 0;
}
