import { GroupCommit, type BatchItemOutcome } from '../../db/group-commit.js';
import type { TenantHandle } from '../../tenancy/connection-manager.js';
import { inTenantTransaction } from '../../tenancy/unit-of-work.js';
import { runEventBatch } from './event-batch.js';
import type { EventResult } from './event.schemas.js';
import { handleEvent, loadEngineSettings, type EngineEvent, type EngineServices } from './handle-event.js';

interface Submission {
  services: EngineServices;
  handle: TenantHandle;
  event: EngineEvent;
}

/**
 * Events from the API, group-committed as lead ingest is (`LeadIntake`): the events of one
 * tenant and trigger that arrive while its previous batch is being written go out together in
 * one transaction (`runEventBatch`), each with the outcome it would have had alone. An event
 * that finds nothing waiting, an event naming its lead by id, and each event of a batch that
 * failed as a whole run alone (`handleEvent`).
 */
export class EventIntake {
  private readonly commits = new GroupCommit<Submission, EventResult>(
    (_key, submissions) => this.write(submissions),
    { maxBatch: 100, maxInFlight: 2 },
  );

  handle(services: EngineServices, handle: TenantHandle, event: EngineEvent): Promise<EventResult> {
    if (event.leadId) return handleEvent(services, handle, event, undefined, { guarded: false });
    return this.commits.submit(`${handle.schema}\u0000${event.trigger}`, { services, handle, event });
  }

  private async write(submissions: Submission[]): Promise<BatchItemOutcome<EventResult>[]> {
    const { services, handle } = submissions[0]!;
    const settings = await loadEngineSettings(handle);
    if (submissions.length === 1) {
      return [
        { ok: await handleEvent(services, handle, submissions[0]!.event, settings, { guarded: false }) },
      ];
    }
    const events = submissions.map((submission) => submission.event);
    return inTenantTransaction(services, handle, (unit) =>
      runEventBatch(unit, services, handle, settings, events),
    );
  }
}
