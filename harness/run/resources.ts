/** Real (non-virtual) resources an engine may leave behind: Node's own accounting, by type. */

export type ResourceCounts = Map<string, number>;

/** Types the harness and its test runner create on their own; never the engine's doing. */
const AMBIENT = new Set(["TTYWrap", "PipeWrap", "FSReqCallback", "FSReqPromise", "Immediate"]);

export function activeResources(): ResourceCounts {
  const counts: ResourceCounts = new Map();
  for (const type of process.getActiveResourcesInfo()) {
    if (AMBIENT.has(type)) continue;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  return counts;
}

/** What `after` has more of than `before`, e.g. ["Timeout ×2", "TCPServerWrap"]. */
export function addedResources(before: ResourceCounts, after: ResourceCounts): string[] {
  const added: string[] = [];
  for (const [type, count] of after) {
    const extra = count - (before.get(type) ?? 0);
    if (extra > 0) added.push(extra === 1 ? type : `${type} ×${extra}`);
  }
  return added;
}
