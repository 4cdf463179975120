const deadlockDetected = '40P01';
const serializationFailure = '40001';

const codeOf = (error: unknown) => (error as { code?: string } | null)?.code;

export const isDeadlock = (error: unknown) => codeOf(error) === deadlockDetected;

/** Postgres aborted the transaction to resolve a conflict: the same work may succeed if run again. */
export const isTransactionConflict = (error: unknown) =>
  codeOf(error) === deadlockDetected || codeOf(error) === serializationFailure;

/**
 * Runs a transaction again when Postgres aborted it to break a deadlock (or a serialization
 * conflict). Assignments lock one agent row at a time; two transactions passing a ticket on
 * between agents that both just reached their daily limit can (rarely) wait on each other.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isTransactionConflict(error)) throw error;
    }
  }
}
