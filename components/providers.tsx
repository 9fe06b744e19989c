"use client";

import "./zod-csp";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Session } from "next-auth";
import { SessionProvider } from "next-auth/react";
import { useState } from "react";
import { ApiClientError } from "./api-client";

function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 1_000,
        refetchOnWindowFocus: true,
        // A 4xx will not get better by asking again; network blips and 5xx might.
        retry: (failures, err) => !(err instanceof ApiClientError && err.status >= 400 && err.status < 500) && failures < 3,
      },
      mutations: { retry: false },
    },
  });
}

/** React Query and the next-auth session for every client component of the portal. */
export function Providers({ children, session }: { children: React.ReactNode; session?: Session | null }) {
  const [client] = useState(makeQueryClient);
  return (
    <SessionProvider session={session ?? undefined} refetchOnWindowFocus={false}>
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    </SessionProvider>
  );
}
