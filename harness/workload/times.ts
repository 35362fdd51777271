/**
 * The instants a workload uses. Every operation instant, delay and sleep is a multiple of 10
 * virtual milliseconds, and every run timeout is 5 more than one: so a run never completes at the
 * very instant its own timeout fires. Where both were due at one instant, which fires first
 * would be the scheduler's choice, and a correct engine could then legitimately answer either
 * way, which the differential check (and a replay on another engine) could not tell from a bug.
 * Coarse grids also make instants coincide across users, which is where races live.
 */

/** When operations are issued, relative to the workload's start. */
export const INSTANTS = [0, 10, 20, 50, 100, 150, 200, 300, 500, 800, 1200] as const;

/** Tool latencies. */
export const DELAYS = [0, 10, 20, 30, 50, 100, 200, 400] as const;

/** Sleep steps, and how long after its execute a run is cancelled. */
export const SLEEPS = [0, 10, 50, 100, 300, 600] as const;

/** runTimeoutMs: the contract's default (rounded to keep the rule above), and two short ones. */
export const TIMEOUTS = [25_005, 1_005, 305] as const;
