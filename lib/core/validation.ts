import type { z } from "zod";

export interface FieldError {
  path: string;
  message: string;
}

/** Flattens a ZodError into `{path, message}` pairs a form or API client can show next to each field. */
export function zodDetails(error: z.ZodError, prefix: (string | number)[] = []): FieldError[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    const keys = issue.code === "unrecognized_keys" ? ` (${issue.keys.join(", ")})` : "";
    return { path: path.join("."), message: issue.message + keys };
  });
}
