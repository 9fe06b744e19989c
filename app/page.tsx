export default function Home() {
  return (
    <main className="mx-auto max-w-2xl p-8">
      <h1 className="text-2xl font-semibold">Partner Export Portal</h1>
      <p className="mt-2 text-gray-600">Export your Acme Flowers inventory, product and review data.</p>
    </main>
  );
}
