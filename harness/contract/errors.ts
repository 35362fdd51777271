/** Typed refusals: the `code` of a rejected RunResult's error, and the errors engines may throw. */

export const ERROR_CODES = {
  invalidContext: "INVALID_CONTEXT",
  duplicateRun: "DUPLICATE_RUN",
  forbidden: "FORBIDDEN",
  badRequest: "BAD_REQUEST",
  queueFull: "QUEUE_FULL",
  shuttingDown: "SHUTTING_DOWN",
} as const;

export type RejectionCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];
export const REJECTION_CODES: readonly RejectionCode[] = Object.values(ERROR_CODES);

export class ContractError extends Error {
  readonly code: RejectionCode;
  constructor(code: RejectionCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

export class InvalidContextError extends ContractError {
  constructor(message: string) {
    super(ERROR_CODES.invalidContext, message);
  }
}
export class DuplicateRunError extends ContractError {
  constructor(runId: string) {
    super(ERROR_CODES.duplicateRun, `run ${runId} is already active or queued`);
  }
}
export class ForbiddenError extends ContractError {
  constructor(message: string) {
    super(ERROR_CODES.forbidden, message);
  }
}
export class BadRequestError extends ContractError {
  constructor(message: string) {
    super(ERROR_CODES.badRequest, message);
  }
}
export class QueueFullError extends ContractError {
  constructor(userId: string, limit: number) {
    super(ERROR_CODES.queueFull, `user ${userId} already has ${limit} queued runs`);
  }
}
