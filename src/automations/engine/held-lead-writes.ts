import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { everyLead } from '../../auth/access.js';
import type { Actor } from '../../auth/access.js';
import type { TenantDb } from '../../db/tenant-database.js';
import { activityRows } from '../../activity/index.js';
import { announceFollowUps, changedLead, followUpChangesOf, requireLeadRow } from '../../leads/index.js';
import type { LeadChangePlan, LeadContext } from '../../leads/index.js';
import type { Lead, LeadEvent, LeadRow } from '../../leads/index.js';
import type { ScoringSettings } from '../../scoring/index.js';

/** The columns a held change may set: what the held actions (tags, status, follow-up, score) change. */
const heldColumns = ['tags', 'status', 'follow_up_at', 'score', 'score_manual'] as const;
const heldColumnSet = new Set<string>(heldColumns);

/**
 * The lead changes of a batch of events (`runEventBatch`), held in memory and written once at
 * the batch's end: each lead's final columns, the activity entries and the notes in one statement,
 * instead of a statement (and a new row version of the lead, with every index of `leads`) per
 * action. A change is planned exactly as `changeLeadWithin` plans it (`planLeadChange`) against
 * the lead as the earlier held changes left it, so its outcome, activity entries and lifecycle
 * events are the same. The rows held are locked by this transaction (inserted by it, or read
 * `FOR UPDATE`), so nobody else changes them before the write.
 */
export class HeldLeadWrites {
  private readonly rows = new Map<string, LeadRow>();
  private readonly changed = new Set<string>();
  private activity: Parameters<typeof activityRows>[0] = [];
  private notes: {
    id: string;
    lead_id: string;
    body: string;
    author: string | null;
    author_type: string | null;
    author_id: string | null;
  }[] = [];

  constructor(private readonly schema: string) {}

  /** A lead this transaction inserted or read locked: the base of its held changes. */
  track(row: LeadRow): void {
    this.rows.set(row.id, row);
  }

  /** The lead as the held changes leave it; read (locked) when this batch has not read it yet. */
  async current(trx: TenantDb, leadId: string): Promise<LeadRow> {
    const held = this.rows.get(leadId);
    if (held) return held;
    const row = await requireLeadRow(trx, everyLead, leadId, { forUpdate: true });
    this.rows.set(row.id, row);
    return row;
  }

  /** Holds a planned change of `before` (from `current`) and answers the lead it leaves. */
  apply(
    ctx: LeadContext,
    before: LeadRow,
    plan: LeadChangePlan | null,
    scoring: ScoringSettings,
  ): { lead: Lead; events: LeadEvent[] } {
    if (!plan) return changedLead(ctx, before, before, scoring);
    for (const column of Object.keys(plan.set)) {
      if (!heldColumnSet.has(column)) throw new Error(`A held lead change cannot set ${column}`);
    }
    const now = new Date();
    const after = { ...before, ...plan.set, updated_at: now, last_activity_at: now } as LeadRow;
    this.rows.set(after.id, after);
    this.changed.add(after.id);
    this.activity.push(...plan.activity);
    return changedLead(ctx, before, after, scoring);
  }

  /** Holds a note on the lead; its id is chosen here, so the outcome can name it at once. */
  note(leadId: string, body: string, actor: Actor): string {
    const id = randomUUID();
    this.notes.push({
      id,
      lead_id: leadId,
      body,
      author: actor.name,
      author_type: actor.type,
      author_id: actor.id,
    });
    return id;
  }

  /**
   * Writes what is held, in one statement. Also before an action that writes the lead itself
   * (an assignment): that lead is then read again (`forget`) for the changes held after it.
   */
  async write(trx: TenantDb): Promise<void> {
    if (this.changed.size === 0 && this.notes.length === 0) return;
    const leads = [...this.changed].map((id) => {
      const row = this.rows.get(id)!;
      return {
        id,
        ...Object.fromEntries(heldColumns.map((column) => [column, row[column]])),
        updated_at: row.updated_at,
        last_activity_at: row.last_activity_at,
      };
    });
    const table = (name: string) => sql.id(this.schema, name);
    await sql`
      with logged as (
        insert into ${table('lead_activities')} (lead_id, kind, actor, actor_type, actor_id, data)
        ${activityRows(this.activity)}
      ),
      noted as (
        insert into ${table('lead_notes')} (id, lead_id, body, author, author_type, author_id)
        select id, lead_id, body, author, author_type, author_id
        from jsonb_to_recordset(${JSON.stringify(this.notes)}::jsonb)
          as n (id uuid, lead_id uuid, body text, author text, author_type text, author_id text)
      )
      update ${table('leads')} l set tags = v.tags, status = v.status, follow_up_at = v.follow_up_at,
        score = v.score, score_manual = v.score_manual, updated_at = v.updated_at,
        last_activity_at = v.last_activity_at
      from jsonb_to_recordset(${JSON.stringify(leads)}::jsonb)
        as v (id uuid, tags text[], status text, follow_up_at timestamptz, score int, score_manual boolean,
          updated_at timestamptz, last_activity_at timestamptz)
      where l.id = v.id`.execute(trx);
    const followUps = [...followUpChangesOf(this.activity)];
    this.changed.clear();
    this.activity = [];
    this.notes = [];
    for (const [leadId, actor] of followUps) {
      const row = this.rows.get(leadId)!;
      await announceFollowUps(trx, {
        actor,
        entries: [{ leadId, followUpAt: row.follow_up_at, ownerAgentId: row.assigned_agent_id }],
      });
    }
  }

  /** The lead was written by a statement of its own: its next held change reads it again. */
  forget(leadId: string): void {
    this.rows.delete(leadId);
  }
}
