import { redirect } from "next/navigation";

/** The portal starts at the export form (which sends a signed-out visitor to sign in first). */
export default function Home(): never {
  redirect("/exports/new");
}
