// An error the controller answers with: an HTTP status, a stable code and a sentence that says
// what was wrong. Anything else that escapes is a bug and answers 500.

export class ControllerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControllerError';
  }
}
