import { GroupCommit, type BatchItemOutcome } from '../db/group-commit.js';
import { inTenantTransaction } from '../tenancy/unit-of-work.js';
import { ingestLeadsWithin, prepareLeads } from './ingest-batch.js';
import { ingestLead, loadIngestSettings, type IngestResult } from './ingest-lead.js';
import { leadUnitDeps, type LeadContext } from './lead-context.js';
import { toLead } from './lead.mapper.js';
import type { IngestLeadInput } from './lead.schemas.js';

interface Submission {
  ctx: LeadContext;
  input: IngestLeadInput;
}

/**
 * Single-lead ingests from the API, group-committed: the requests of one tenant (and one
 * API key, the actor of their activity entries) that arrive while its previous batch is
 * being written go out together in one transaction (`ingestLeadsWithin`: one multi-row
 * insert, assignment in a few statements), with the same outcome each would have had alone.
 * A request that finds nothing waiting goes out at once through `ingestLead`.
 */
export class LeadIntake {
  private readonly commits = new GroupCommit<Submission, IngestResult>(
    (_key, submissions) => this.write(submissions),
    { maxBatch: 200, maxInFlight: 2 },
  );

  ingest(ctx: LeadContext, input: IngestLeadInput): Promise<IngestResult> {
    return this.commits.submit(
      `${ctx.handle.schema}\u0000${ctx.actor.type}\u0000${ctx.actor.id ?? ''}\u0000${ctx.actor.name}`,
      { ctx, input },
    );
  }

  private async write(submissions: Submission[]): Promise<BatchItemOutcome<IngestResult>[]> {
    const { ctx } = submissions[0]!;
    const settings = await loadIngestSettings(ctx.handle);
    if (submissions.length === 1) return [{ ok: await ingestLead(ctx, submissions[0]!.input, settings) }];
    const leads = prepareLeads(
      ctx,
      submissions.map((submission) => submission.input),
      settings,
    );
    const outcomes = await inTenantTransaction(leadUnitDeps(ctx), ctx.handle, async ({ trx, publish }) => {
      const { outcomes, events } = await ingestLeadsWithin(trx, ctx, leads, settings);
      publish(...events);
      return outcomes;
    });
    return outcomes.map((outcome) =>
      'error' in outcome
        ? outcome
        : { ok: { lead: toLead(outcome.row, settings.scoring.hotThreshold), duplicate: outcome.duplicate } },
    );
  }
}
