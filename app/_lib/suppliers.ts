/** The suppliers that have portal users, for the admin filters and tables. */
import { getDeps } from "@/lib/config";

export async function supplierDirectory(): Promise<{ id: string; name: string }[]> {
  const users = await (await getDeps()).users.listUsers();
  const byId = new Map<string, string>();
  for (const u of users) if (u.supplierId && !byId.has(u.supplierId)) byId.set(u.supplierId, u.supplierName ?? u.supplierId);
  return [...byId].map(([id, name]) => ({ id, name })).sort((a, b) => a.name.localeCompare(b.name));
}
