/**
 * What an error says, and the errors the engine makes. A failure's message reaches only the
 * user whose run failed (errors.sanitized), and nothing here ever throws: agents and tools may
 * throw anything, including values with throwing getters.
 */

const ignore = (): void => {};

/** The message of whatever was thrown, or `fallback` when it has none. */
export function messageOf(error: unknown, fallback: string): string {
  try {
    if (typeof error === "string") return error || fallback;
    const message = (error as { message?: unknown } | null)?.message;
    if (typeof message === "string" && message !== "") return message;
  } catch {
    // A throwing getter: use the fallback.
  }
  return fallback;
}

/** The `name` of whatever was thrown, if it can be read. */
export function nameOf(error: unknown): unknown {
  try {
    return (error as { name?: unknown } | null)?.name;
  } catch {
    return undefined;
  }
}

/** Text for an event from a value an agent passed where text was expected. */
export function textOf(value: unknown): string {
  try {
    return typeof value === "string" ? value : String(value);
  } catch {
    return "";
  }
}

/** The error a runtime call gets once its run has ended. */
export function abortError(message: string): Error {
  return Object.assign(new Error(message), { name: "AbortError" });
}

/** A rejected promise that is already handled, so an agent that never awaits it leaves no unhandled rejection. */
export function quietlyRejected<T>(error: Error): Promise<T> {
  const promise = Promise.reject<T>(error);
  promise.catch(ignore);
  return promise;
}

/** A promise and its settle functions; the promise is marked handled for the same reason. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve: (value: T) => void = ignore;
  let reject: (error: Error) => void = ignore;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(ignore);
  return { promise, resolve, reject };
}
