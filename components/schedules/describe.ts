/** How a schedule's timing reads to a person; shared by the supplier's list (client) and the admin page (server). */
import type { Cadence } from "./schedule-form";

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

export function describeCadence(c: Cadence, tz: string): string {
  if (c.kind === "cron") return `cron ${c.expression} (${tz})`;
  if (c.kind === "daily") return `Daily at ${c.time} (${tz})`;
  if (c.kind === "weekly") return `${WEEKDAYS[c.weekday]} at ${c.time} (${tz})`;
  return `Day ${c.dayOfMonth} at ${c.time} (${tz})`;
}

/** A time in the schedule's own zone, with the zone named: what "06:00 daily" means to the supplier. */
export function inZone(iso: string, tz: string): string {
  return `${new Date(iso).toLocaleString("en-GB", { timeZone: tz, dateStyle: "medium", timeStyle: "short" })} ${tz}`;
}
