/** The centred card the signed-out pages share (sign-in, forgot password, reset, invitation). */
export function AccountShell({ title, subtitle, children }: { title: string; subtitle?: React.ReactNode; children: React.ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 text-center">
          <span aria-hidden="true" className="mx-auto grid size-12 place-items-center rounded-xl bg-brand-700 text-2xl text-white shadow-sm">
            ✿
          </span>
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-gray-900">{title}</h1>
          {subtitle ? <p className="mt-1 text-sm text-gray-600">{subtitle}</p> : null}
        </div>
        <div className="rounded-lg border border-gray-200 bg-white p-6 shadow-sm">{children}</div>
      </div>
    </main>
  );
}
