// The worker processes' V8 heap: the old generation may grow to 3x its live size between full collections.
import v8 from "node:v8";

/**
 * V8 sizes the old generation's next limit from the live size and its own speed estimates; for
 * the worker's ~43 MB heap (the SDK clients, the app) it picked factors of 1.1-1.5, and the archive
 * step, which allocates little but steadily (S3 response chunks, inflate batches, SDK calls),
 * crossed each new limit within a few hundred ms: 9-14 mark-compacts of the whole heap per 491 MB
 * archive (`npm run bench:export -- --backend aws --rows 5000000`), 0.2-0.5 s of main-thread
 * pauses plus the GC helper threads' marking. A fixed factor of 3 (heap growing percent 200)
 * left 0-1 per archive, for at most ~130 MB of heap before a collection: nothing next to the
 * worker Lambda's 3008 MB. Node's NODE_OPTIONS does not take this V8 flag, and Lambda starts
 * node itself, so it is set at module load; Node keeps V8's flags writable after start
 * (`--no-freeze-flags-after-init`), and the flag is read at every limit computation.
 */
export const HEAP_GROWING_PERCENT = 200;

export function tuneWorkerHeap(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
