/**
 * Groups retained objects whose retainer paths have the same shape: a thousand contexts held by
 * one cache read as one finding with a count, not a thousand lines.
 */
import type { RetainedObject, RetentionCluster } from "../run/history.ts";

export function clusterRetained(retained: readonly RetainedObject[]): RetentionCluster[] {
  const clusters = new Map<string, RetentionCluster>();
  for (const object of retained) {
    if (!object.path) continue;
    const key = `${object.after}\u0000${object.path.shape}`;
    const cluster = clusters.get(key);
    if (cluster) {
      cluster.count += 1;
      if (!cluster.kinds.includes(object.kind)) cluster.kinds.push(object.kind);
    } else {
      clusters.set(key, {
        after: object.after,
        shape: object.path.shape,
        example: object.path.text,
        count: 1,
        kinds: [object.kind],
      });
    }
  }
  return [...clusters.values()].sort((a, b) => b.count - a.count);
}
