/** An action that cannot be carried out for this event: recorded in the run, never a 500. */
export class ActionFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ActionFailure';
  }
}
