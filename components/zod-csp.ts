/**
 * Zod builds fast object parsers with `new Function` where it may, and probes
 * for that once per object schema as it is created. Under the portal's CSP
 * (no 'unsafe-eval', lib/http/security-headers.ts) the probe is refused and
 * reported as a violation on every page that loads a schema, though zod
 * swallows the error. In the browser, parse without it. Imported first by
 * every client module that pulls in a zod schema, so it runs before any is built.
 */
import { z } from "zod";

// Only in the browser: the server has no CSP, and keeps zod's faster compiled parsers.
if (typeof window !== "undefined") z.config({ jitless: true });
