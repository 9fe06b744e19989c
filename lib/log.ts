import pino, { type Logger } from "pino";

/** One JSON logger per process; children carry context such as `exportId`. */
export function createLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}
