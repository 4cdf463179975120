const deadlockDetected = '40P01';

export const isDeadlock = (error: unknown) => (error as { code?: string } | null)?.code === deadlockDetected;

/**
 * Runs a transaction again when Postgres aborted it to break a deadlock. Assignments lock
 * one agent row at a time; two transactions passing a ticket on between agents that both
 * just reached their daily limit can (rarely) wait on each other.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || !isDeadlock(error)) throw error;
    }
  }
}
