/**
 * Memory across many sessions: runs user sessions against one engine instance (sessions.ts),
 * and after every few sessions forces collection and reads the cheap counts (heap bytes in use,
 * live objects, live objects the engine was handed). A flat engine keeps neither bytes nor
 * objects per session. When objects grow, two heap snapshots a few sessions apart show which
 * objects are new and still alive, who holds them (retainer paths from the engine, clustered
 * by shape) and which classes grew.
 */
import type { EngineModule } from "../contract/index.ts";
import { collectGarbage } from "../run/gc.ts";
import {
  type ClassCount,
  classCounts,
  classGrowth,
  classOf,
  heapUsedBytes,
  liveObjectCount,
} from "./counts.ts";
import { renderPath } from "./render.ts";
import { ShortestPaths } from "./retainers.ts";
import { SessionDriver, type SessionOptions, type TrackedKind } from "./sessions.ts";
import { takeHeapSnapshot } from "./snapshot.ts";
import { TagBatch } from "./tags.ts";

export interface GrowthOptions extends SessionOptions {
  /** Measured sessions, after the warm-up. */
  sessions: number;
  /** Sessions run first and not measured: code paths warm up, caches fill once. */
  warmup?: number;
  /** Measurements spread over the measured sessions (at least 2). */
  checkpoints?: number;
  /** Objects per session above which the engine is said to grow (default 0.5). */
  threshold?: number;
  /** When it grows: sessions between the two snapshots that name the holders (0: no snapshots). */
  explainSessions?: number;
}

export interface GrowthPoint {
  /** Sessions completed (warm-up included). */
  sessions: number;
  heapUsed: number;
  /** Live JavaScript objects, when this Node can count them. */
  objects?: number;
  /** Objects the engine was handed (or made for agents) still alive. */
  live: Partial<Record<TrackedKind, number>>;
}

export interface GrowthHolder {
  /** Retainer path of the new objects, from the engine when it passes through it. */
  path: string;
  /** New objects held this way over the explained sessions. */
  count: number;
  perSession: number;
}

export interface GrowthReport {
  engine: string;
  sessions: number;
  runsPerSession: number;
  points: GrowthPoint[];
  /** Median pairwise (Theil–Sen) slope of heap bytes in use over the measured sessions. */
  bytesPerSession: number;
  /** Least-squares slope of live objects, when counted. */
  objectsPerSession?: number;
  /** Handed objects still alive at the end, by kind: every one is retained after its session. */
  retained: Partial<Record<TrackedKind, number>>;
  growing: boolean;
  /** Why `growing` was decided so. */
  reason: string;
  holders?: GrowthHolder[];
  /** Classes with more instances after the explained sessions, most grown first. */
  classes?: ClassCount[];
  /** Operations the engine never settled (the workload moved on without them). */
  stuck: number;
  ms: number;
  snapshotMs?: number;
}

export async function measureGrowth(
  module: EngineModule,
  options: GrowthOptions,
): Promise<GrowthReport> {
  const started = performance.now();
  const driver = new SessionDriver(module, options);
  const warmup = options.warmup ?? 10;
  const checkpoints = Math.max(2, options.checkpoints ?? 5);
  const threshold = options.threshold ?? 0.5;
  for (let i = 0; i < warmup; i += 1) await driver.session();
  // Measurements are kept as numbers and strings until the end: objects made to hold them
  // would be counted as growth.
  const raw: Raw = { sessions: [], heapUsed: [], objects: [], live: [] };
  // A first measurement, thrown away: what the first count loads lazily is not growth.
  await measure(driver, warmup, { sessions: [], heapUsed: [], objects: [], live: [] });
  await measure(driver, warmup, raw);
  let done = 0;
  for (let c = 1; c < checkpoints; c += 1) {
    const target = Math.round((options.sessions * c) / (checkpoints - 1));
    while (done < target) {
      await driver.session();
      done += 1;
    }
    await measure(driver, warmup + done, raw);
  }
  const points = pointsOf(raw);
  // Heap bytes jump now and then (code and type feedback compiled late): the median of pairwise
  // slopes ignores such a jump where a least-squares line would follow it.
  const bytesPerSession = medianSlope(points.map((p) => [p.sessions, p.heapUsed]));
  const counted = points.every((p) => p.objects !== undefined);
  const objectsPerSession = counted
    ? slope(points.map((p) => [p.sessions, p.objects as number]))
    : undefined;
  const last = points[points.length - 1] as GrowthPoint;
  const retained = last.live;
  const retainedTotal = Object.values(retained).reduce((a, b) => a + (b ?? 0), 0);
  const growingObjects = objectsPerSession !== undefined && objectsPerSession >= threshold;
  const report: GrowthReport = {
    engine: module.name,
    sessions: options.sessions,
    runsPerSession: options.runs ?? 2,
    points,
    bytesPerSession: Math.round(bytesPerSession),
    retained,
    growing: growingObjects || retainedTotal > 0,
    reason: growingObjects
      ? `${objectsPerSession.toFixed(2)} live objects more per session`
      : retainedTotal > 0
        ? `${retainedTotal} object(s) it was handed still alive after their sessions`
        : objectsPerSession !== undefined
          ? `flat: ${objectsPerSession.toFixed(2)} objects per session`
          : "flat: no object handed over is still alive (objects not counted in this Node)",
    stuck: driver.stuck,
    ms: 0,
  };
  if (objectsPerSession !== undefined) {
    report.objectsPerSession = Math.round(objectsPerSession * 100) / 100;
  }
  const explainSessions = options.explainSessions ?? 10;
  if (report.growing && explainSessions > 0) {
    await explainGrowth(driver, explainSessions, report);
  }
  await driver.shutdown();
  report.ms = Math.round(performance.now() - started);
  return report;
}

interface Raw {
  sessions: number[];
  heapUsed: number[];
  objects: number[];
  /** JSON of LiveCounter.live(). */
  live: string[];
}

async function measure(driver: SessionDriver, sessions: number, raw: Raw): Promise<void> {
  driver.world.clock.compact();
  await collectGarbage(4);
  raw.sessions.push(sessions);
  raw.heapUsed.push(heapUsedBytes());
  raw.live.push(JSON.stringify(driver.counter.live()));
  raw.objects.push(liveObjectCount() ?? Number.NaN);
}

function pointsOf(raw: Raw): GrowthPoint[] {
  return raw.sessions.map((sessions, i) => {
    const point: GrowthPoint = {
      sessions,
      heapUsed: raw.heapUsed[i] ?? 0,
      live: JSON.parse(raw.live[i] ?? "{}") as GrowthPoint["live"],
    };
    const objects = raw.objects[i];
    if (objects !== undefined && !Number.isNaN(objects)) point.objects = objects;
    return point;
  });
}

/**
 * Two snapshots `sessions` sessions apart: objects the second has that are newer than anything in
 * the first (snapshot ids only grow) and still alive are what those sessions left behind.
 */
async function explainGrowth(
  driver: SessionDriver,
  sessions: number,
  report: GrowthReport,
): Promise<void> {
  const batch = new TagBatch();
  batch.tag(driver.engine, 0);
  driver.world.clock.compact();
  await collectGarbage(4);
  // Only numbers and one string survive the first snapshot: its graph and counts must not be
  // among the objects the second one finds new.
  const { maxId, ms, classes, sizes } = firstLook(batch);
  for (let i = 0; i < sessions; i += 1) await driver.session();
  driver.world.clock.compact();
  await collectGarbage(4);
  const second = takeHeapSnapshot();
  report.snapshotMs = Math.round(ms + second.ms);
  const before = new Map(JSON.parse(classes) as [string, ClassCount][]);
  report.classes = classGrowth(before, classCounts(second.graph));
  const graph = second.graph;
  const engineNode = batch.find(graph).get(0);
  const anchors = new Map<number, string>();
  if (engineNode !== undefined) anchors.set(graph.nodeId(engineNode), "engine");
  const shortest = new ShortestPaths(graph);
  const clusters = new Map<string, GrowthHolder & { container: Container | undefined }>();
  for (let node = 0; node < graph.nodeCount; node += 1) {
    if (graph.nodeId(node) <= maxId || classOf(graph, node) === undefined) continue;
    const steps = shortest.pathTo(node);
    // V8's own allocation feedback (literal boilerplates) is not the program's memory.
    if (!steps || steps.some((s) => s.name === "system / FeedbackVector")) continue;
    const path = renderPath(steps, anchors);
    const cluster = clusters.get(path.shape);
    if (cluster) cluster.count += 1;
    else {
      const parent = shortest.parentOf(node);
      const container =
        parent === undefined
          ? undefined
          : {
              shape: renderPath(steps.slice(0, -1), anchors).shape,
              edges: graph.endEdge(parent) - graph.firstEdge(parent),
            };
      clusters.set(path.shape, { path: path.text, count: 1, perSession: 0, container });
    }
  }
  // A bounded structure (a history cut to its last N, a cache that evicts) has new objects too,
  // in place of old ones: it is growth only if what holds them (found by the same path) has
  // more references than it had at the first snapshot.
  const sizesBefore = new Map(JSON.parse(sizes) as [string, number][]);
  const grew = (container: Container | undefined) => {
    const then = container && sizesBefore.get(container.shape);
    return then === undefined || (container?.edges ?? 0) > then;
  };
  // The root of each leaked structure, not every object inside it: drop a path that extends
  // another kept one.
  const byShape = [...clusters.entries()]
    .filter(([, c]) => c.count >= sessions / 2 && grew(c.container))
    .sort((a, b) => a[0].length - b[0].length);
  const kept: [string, GrowthHolder][] = [];
  for (const [shape, cluster] of byShape) {
    if (kept.some(([k]) => shape.startsWith(`${k} → `))) continue;
    kept.push([shape, cluster]);
  }
  report.holders = kept
    .map(([, c]) => ({
      path: c.path,
      count: c.count,
      perSession: Math.round((c.count / sessions) * 100) / 100,
    }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 8);
}

/** What holds a cluster's objects: its path shape, and how many references it has. */
interface Container {
  shape: string;
  edges: number;
}

/**
 * The first snapshot, reduced to numbers and strings (objects kept from it would be counted new
 * in the second): the largest object id, per-class counts, and for every object with a few
 * references, how many it had, by path shape (to tell growth from replacement later).
 */
function firstLook(batch: TagBatch): { maxId: number; ms: number; classes: string; sizes: string } {
  const { graph, ms } = takeHeapSnapshot();
  const engineNode = batch.find(graph).get(0);
  const anchors = new Map<number, string>();
  if (engineNode !== undefined) anchors.set(graph.nodeId(engineNode), "engine");
  const shortest = new ShortestPaths(graph);
  let maxId = 0;
  const sizes = new Map<string, number>();
  for (let node = 0; node < graph.nodeCount; node += 1) {
    // Ids of JavaScript objects grow with allocation; the embedder's nodes have ids of their own.
    if (classOf(graph, node) !== undefined) maxId = Math.max(maxId, graph.nodeId(node));
    const edges = graph.endEdge(node) - graph.firstEdge(node);
    if (edges < 4) continue;
    const steps = shortest.pathTo(node);
    if (!steps) continue;
    const shape = renderPath(steps, anchors).shape;
    sizes.set(shape, Math.max(sizes.get(shape) ?? 0, edges));
  }
  return {
    maxId,
    ms,
    classes: JSON.stringify([...classCounts(graph)]),
    sizes: JSON.stringify([...sizes]),
  };
}

/** Theil–Sen slope: the median of the slopes between every two points. */
export function medianSlope(points: readonly (readonly [number, number])[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i += 1) {
    for (let j = i + 1; j < points.length; j += 1) {
      const [x1, y1] = points[i] as readonly [number, number];
      const [x2, y2] = points[j] as readonly [number, number];
      if (x2 !== x1) slopes.push((y2 - y1) / (x2 - x1));
    }
  }
  if (slopes.length === 0) return 0;
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1
    ? (slopes[mid] as number)
    : ((slopes[mid - 1] as number) + (slopes[mid] as number)) / 2;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
