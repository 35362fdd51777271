/** Turning measured statistics into the document's figures, and ratios to the reference. */
import type {
  BenchEngine,
  BenchFigure,
  FigureKind,
  Transport,
} from "../../../reports/bench-schema.ts";
import type { Stats } from "./stats.ts";

const META: Record<
  FigureKind,
  { unit: BenchFigure["unit"]; better: "higher" | "lower"; label: string }
> = {
  "runs-per-second": { unit: "runs/s", better: "higher", label: "runs/s" },
  "latency-p50": { unit: "ms", better: "lower", label: "emit→receive p50" },
  "latency-p99": { unit: "ms", better: "lower", label: "emit→receive p99" },
  "heap-per-active-user": { unit: "bytes", better: "lower", label: "heap per active user" },
  "heap-per-completed-run": { unit: "bytes", better: "lower", label: "heap per completed run" },
  "session-open-close": { unit: "ms", better: "lower", label: "session open + close" },
  "scenario-time-unchecked": { unit: "ms", better: "lower", label: "scenario, unchecked" },
  "scenario-time-checked": { unit: "ms", better: "lower", label: "scenario, checked" },
  "checking-overhead": { unit: "%", better: "lower", label: "checking overhead" },
};

const TRANSPORT_LABEL: Record<Transport, string> = {
  "in-process": "in process",
  ws: "WebSockets",
  url: "at a URL, real time",
};

export interface FigureWhere {
  transport?: Transport;
  users?: number;
  /** The workload whose runs the figure comes from (its verdicts mark the figure). */
  workload: string;
}

export function figureId(kind: FigureKind, where: Omit<FigureWhere, "workload">): string {
  return [kind, where.transport, where.users].filter((part) => part !== undefined).join(".");
}

function base(kind: FigureKind, where: FigureWhere) {
  const meta = META[kind];
  const label = [
    meta.label,
    where.transport ? TRANSPORT_LABEL[where.transport] : undefined,
    where.users !== undefined ? `${where.users} user${where.users === 1 ? "" : "s"}` : undefined,
  ]
    .filter(Boolean)
    .join(", ");
  return {
    id: figureId(kind, where),
    kind,
    label,
    unit: meta.unit,
    better: meta.better,
    ...(where.transport ? { transport: where.transport } : {}),
    ...(where.users !== undefined ? { users: where.users } : {}),
    workload: where.workload,
    ratioToReference: null,
    marked: false,
  };
}

export function measured(
  kind: FigureKind,
  where: FigureWhere,
  stats: Stats,
  detail?: Record<string, number>,
): BenchFigure {
  return {
    ...base(kind, where),
    value: Number.isFinite(stats.mean) ? stats.mean : null,
    rme: stats.rme,
    samples: stats.samples,
    ...(detail ? { detail: finiteOnly(detail) } : {}),
  };
}

/** JSON has no NaN: a detail that could not be measured is left out. */
function finiteOnly(detail: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(detail).filter(([, v]) => Number.isFinite(v)));
}

export function failed(kind: FigureKind, where: FigureWhere, error: unknown): BenchFigure {
  return {
    ...base(kind, where),
    value: null,
    rme: null,
    samples: 0,
    error: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Checking overhead from the checked and unchecked times: (checked − unchecked) / unchecked, in
 * percent. Its margin propagates both: the ratio's relative error is √(rme_c² + rme_u²).
 */
export function overhead(
  where: FigureWhere,
  unchecked: BenchFigure,
  checked: BenchFigure,
): BenchFigure {
  const from = [unchecked.id, checked.id];
  if (unchecked.value === null || checked.value === null || unchecked.value === 0) {
    return {
      ...failed("checking-overhead", where, "the checked or unchecked time is missing"),
      derivedFrom: from,
    };
  }
  const ratio = checked.value / unchecked.value;
  const value = (ratio - 1) * 100;
  const ratioError = Math.hypot(checked.rme ?? 0, unchecked.rme ?? 0); // percent of the ratio
  const pointsError = ratio * ratioError; // percentage points of the overhead
  return {
    ...base("checking-overhead", where),
    value,
    rme: value === 0 ? null : (pointsError / Math.abs(value)) * 100,
    samples: Math.min(unchecked.samples, checked.samples),
    derivedFrom: from,
    detail: {
      uncheckedMs: unchecked.value,
      checkedMs: checked.value,
      marginPoints: pointsError,
      ...cpuOverhead(unchecked, checked),
    },
  };
}

/** The same overhead in CPU time, which other processes on the machine disturb far less. */
function cpuOverhead(unchecked: BenchFigure, checked: BenchFigure): Record<string, number> {
  const u = unchecked.detail?.cpuMs;
  const c = checked.detail?.cpuMs;
  if (u === undefined || c === undefined || !Number.isFinite(u) || !Number.isFinite(c) || u === 0)
    return {};
  return { cpuOverheadPercent: (c / u - 1) * 100 };
}

/** Marks figures whose workload broke a clause, and sets every ratio against the reference. */
export function finish(engines: BenchEngine[], reference: string): void {
  for (const engine of engines) {
    const broken = new Set(
      engine.workloads.filter((w) => w.brokenClauses.length > 0).map((w) => w.id),
    );
    for (const figure of engine.figures) figure.marked = broken.has(figure.workload);
  }
  const ref = engines.find((engine) => engine.name === reference && engine.reference);
  const refValues = new Map(ref?.figures.map((f) => [f.id, f.value]) ?? []);
  for (const engine of engines) {
    for (const figure of engine.figures) {
      const against = refValues.get(figure.id);
      figure.ratioToReference =
        figure.value !== null && against !== undefined && against !== null && against !== 0
          ? figure.value / against
          : null;
    }
  }
}
