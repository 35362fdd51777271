/**
 * Escaping for everything the page shows that came from outside (engine names, witness text,
 * retainer paths, benchmark labels): safe in element text and in quoted attributes alike.
 */
export function esc(value: unknown): string {
  return String(value)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
