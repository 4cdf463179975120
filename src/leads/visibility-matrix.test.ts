import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCohortAssignment } from '../cohorts/assign-cohort.job.js';
import type { TenantDb } from '../db/tenant-database.js';
import { jobContext, tenantHandle } from '../testing/job-context.js';
import { quotationOfLead, quotationOfOwner } from '../testing/quotation-fixtures.js';
import { addTestTeam, addTestUser } from '../testing/staff-users.js';
import { dataOf, tenantClient, type TenantClient, type TestResponse } from '../testing/tenant-client.js';
import { startTestApp, type TestApp, type TestTenant } from '../testing/test-app.js';

/**
 * The role × endpoint visibility matrix (issue 17), generated from the OpenAPI document: every
 * tenant operation whose `x-permission` is a lead permission has an entry below saying how to
 * reach a record of each owner (agent A's, agent B's, unassigned) and what to send; it is run as
 * agent A, agent B, manager M (of a team with A, not B), an admin and an API key. Lists leak no
 * row, invisible ids are 404 and writes on them change nothing. An operation without an entry
 * fails the test: a new route cannot escape the matrix.
 */

type Owner = 'A' | 'B' | 'none';
const owners: Owner[] = ['A', 'B', 'none'];
type CallerName = 'agentA' | 'agentB' | 'manager' | 'admin' | 'apiKey';
const callerNames: CallerName[] = ['agentA', 'agentB', 'manager', 'admin', 'apiKey'];

/** Which owners' leads each caller sees (agent: own; manager: their team's; admin, key: all). */
const sees: Record<CallerName, readonly Owner[]> = {
  agentA: ['A'],
  agentB: ['B'],
  manager: ['A'],
  admin: owners,
  apiKey: owners,
};

/** The lead permissions the built-in roles lack (agent: no assigning, no exporting). */
const lacks: Record<CallerName, readonly string[]> = {
  agentA: ['leads.assign', 'leads.export'],
  agentB: ['leads.assign', 'leads.export'],
  manager: [],
  admin: [],
  apiKey: [],
};

const leadPermissions = new Set(['leads.read', 'leads.write', 'leads.assign', 'leads.export']);

/**
 * Operations awaiting a matrix entry (none now: contacts, conversations and messages, email
 * messages, meetings and media have theirs). Any operation in neither this list nor `matrix` fails.
 */
const awaitingLinkedRecordVisibility: string[] = [];

interface Caller {
  name: CallerName;
  client: TenantClient;
  headers: Record<string, string>;
  /** The user's id (null for the API key). */
  userId: string | null;
}

/** What the entries work with. */
interface World {
  key: TenantClient;
  agents: Record<'A' | 'B', string>;
  /** A fresh lead of `owner` (for a write: each call its own lead), tagged `fresh`. */
  newLead(owner: Owner): Promise<{ id: string; phone: string }>;
  /** A CSV upload as `caller`. */
  importCsv(caller: Caller, query: string, csv: string): Promise<TestResponse>;
  /** The shared fixture leads of each owner, for reads. */
  leads: Record<Owner, string[]>;
  /** Every fixture lead's owner, by id. */
  ownerOf: Map<string, Owner>;
  cohortId: string;
  emptyCohortId: string;
  distributionRef: string;
  importsBy: Map<string, string | null>;
  userIds: Record<CallerName, string | null>;
  /** The tenant's schema, for records the API cannot make here (no Google, no WhatsApp number). */
  db: TenantDb;
  /** Per owner, a lead (tagged `linked`) and what hangs off it. */
  linked: Record<Owner, Linked>;
  /** A contact of no `lead_id` that a lead of B's points at (`leads.contact_id`). */
  contactOfBsLead: string;
  templateId: string;
  /** The owners now (writes move leads) of these leads; a null lead id is `none` (scope `all`). */
  ownersNow(leadIds: (string | null)[]): Promise<Owner[]>;
  addContact(leadId: string | null): Promise<string>;
  addConversation(leadId: string | null): Promise<string>;
}

interface Linked {
  leadId: string;
  contactId: string;
  conversationId: string;
  messageId: string;
  emailId: string;
  meetingId: string;
}

type Entry =
  /** A list of leads (or of rows carrying a lead id): no row of an invisible owner. */
  | {
      kind: 'list';
      urls: (w: World) => string[];
      rowLeadId?: (row: any) => string;
      /** A row of records linked to leads: the owners it is visible through (any one suffices). */
      rowOwners?: (w: World, row: any) => Promise<Owner[]>;
      /** The linked records of `owner` the first url must list when the caller sees that owner. */
      shows?: (w: World, owner: Owner) => string[];
    }
  /** A read of one record reached through a lead of `owner`: 200 when visible, else 404. */
  | { kind: 'read'; url: (w: World, owner: Owner) => Promise<string> | string }
  /**
   * A write on a lead of `owner` (or on a record `prepare` links to it): invisible → 404 and the
   * lead (and `state`, the record's) unchanged; visible → not 404.
   */
  | {
      kind: 'write';
      prepare?: (w: World, leadId: string) => Promise<string>;
      request: (w: World, leadId: string, recordId: string) => { url: string; body?: unknown };
      state?: (w: World, leadId: string, recordId: string) => Promise<unknown>;
    }
  /** A bulk write: invisible ids are reported `not_found` (as unknown ids) and left unchanged. */
  | { kind: 'bulk'; path: string; body: (w: World, ids: string[]) => unknown }
  /** Anything else: its own assertions, counting leaked rows. */
  | {
      kind: 'custom';
      run: (w: World, caller: Caller, leak: (n: number, what: string) => void) => Promise<void>;
    }
  /** No lead record is read or written (definitions, metadata): the reason says why. */
  | { kind: 'noLeadRecords'; reason: string };

const matrix: Record<string, Entry> = {
  'GET /api/crm/leads': {
    kind: 'list',
    urls: (w) => [
      '/leads?limit=200',
      '/leads?limit=200&page=1&sort=ref&order=asc',
      '/leads?limit=200&q=Matrix',
      `/leads?limit=200&q=${encodeURIComponent('+1415')}`,
      `/leads?limit=200&tags=matrix&agentId=${w.agents.B}`,
      `/leads?limit=200&tags=matrix&agentId=${w.agents.A}`,
      '/leads?limit=200&tags=matrix&agentId=unassigned',
      '/leads?limit=200&tags=matrix&archived=false',
      '/leads?limit=200&tags=matrix&sort=score&order=desc&page=1',
    ],
  },
  'GET /api/crm/leads/stats': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      for (const url of [
        '/leads/stats',
        `/leads/stats?assignedAgentId=${w.agents.B}`,
        '/leads/stats?assignedAgentId=unassigned',
      ]) {
        const stats = dataOf(await caller.client.get(url));
        for (const { agentId, count } of stats.byAgent as { agentId: string | null; count: number }[]) {
          const owner: Owner = agentId === w.agents.A ? 'A' : agentId === w.agents.B ? 'B' : 'none';
          if (!sees[caller.name].includes(owner)) leak(count, `${url} counts ${count} of ${owner}'s leads`);
        }
        const byAgentTotal = stats.byAgent.reduce(
          (sum: number, row: { count: number }) => sum + row.count,
          0,
        );
        expect(stats.total).toBe(byAgentTotal);
      }
    },
  },
  'GET /api/crm/leads/{id}': { kind: 'read', url: (w, owner) => `/leads/${w.leads[owner][0]}` },
  'GET /api/crm/leads/{id}/notes': { kind: 'read', url: (w, owner) => `/leads/${w.leads[owner][0]}/notes` },
  'GET /api/crm/leads/{id}/activity': {
    kind: 'read',
    url: (w, owner) => `/leads/${w.leads[owner][0]}/activity`,
  },
  'PATCH /api/crm/leads/{id}': {
    kind: 'write',
    request: (_w, id) => ({ url: `/leads/${id}`, body: { city: 'Changed', tags: ['changed'] } }),
  },
  'DELETE /api/crm/leads/{id}': { kind: 'write', request: (_w, id) => ({ url: `/leads/${id}?hard=true` }) },
  'POST /api/crm/leads/{id}/notes': {
    kind: 'write',
    request: (_w, id) => ({ url: `/leads/${id}/notes`, body: { body: 'a note' } }),
  },
  'POST /api/crm/leads/{id}/convert': {
    kind: 'write',
    request: (_w, id) => ({ url: `/leads/${id}/convert` }),
  },
  'POST /api/crm/leads/bulk/status': {
    kind: 'bulk',
    path: '/leads/bulk/status',
    body: (_w, ids) => ({ ids, status: 'contacted' }),
  },
  'POST /api/crm/leads/bulk/assign': {
    kind: 'bulk',
    path: '/leads/bulk/assign',
    body: (w, ids) => ({ ids, agentId: w.agents.A }),
  },
  'POST /api/crm/leads/bulk/tags': {
    kind: 'bulk',
    path: '/leads/bulk/tags',
    body: (_w, ids) => ({ ids, add: ['bulk'] }),
  },
  'POST /api/crm/leads/bulk/archive': {
    kind: 'bulk',
    path: '/leads/bulk/archive',
    body: (_w, ids) => ({ ids }),
  },
  'POST /api/crm/leads': {
    kind: 'custom',
    // A duplicate of a lead the caller cannot see: 409 without its fields, never the lead.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/leads', {
          name: 'Someone Else',
          phone: lead.phone,
          assign: false,
        });
        if (sees[caller.name].includes(owner)) {
          expect(res.status, res.text).toBe(200);
          expect(res.body.data).toMatchObject({ duplicate: true, lead: { id: lead.id } });
        } else {
          expect(res.status, res.text).toBe(409);
          expect(res.body.error).toMatchObject({ code: 'conflict', details: { duplicate: true } });
          if (res.text.includes(lead.id)) leak(1, `POST /leads answered ${owner}'s lead`);
        }
      }
      // A new lead: created, its own data answered.
      expect(
        (await caller.client.post('/leads', { name: 'Matrix New', phone: nextPhone(), assign: false }))
          .status,
      ).toBe(201);
    },
  },
  'POST /api/crm/leads/assign-pending': {
    kind: 'custom',
    // Unassigned leads are scope `all`'s: others are refused.
    run: async (_w, caller) => {
      const res = await caller.client.post('/leads/assign-pending', { limit: 1 });
      expect(res.status, res.text).toBe(['admin', 'apiKey'].includes(caller.name) ? 200 : 403);
    },
  },
  'POST /api/crm/leads/import': {
    kind: 'custom',
    // A row duplicating an invisible lead: counted as a duplicate, none of that lead's data answered.
    run: async (w, caller, leak) => {
      const lead = await w.newLead('B');
      const csv = `name,phone\nImported One,${lead.phone}\nImported Two,${nextPhone()}\n`;
      const res = await w.importCsv(caller, 'mode=sync&assign=false', csv);
      if (res.status === 200) {
        expect(res.body.data).toMatchObject({ rows: 2, created: 1, duplicates: 1 });
        if (res.text.includes(lead.id)) leak(1, "the import report names B's lead");
      } else {
        expect(res.status, res.text).toBe(403);
      }
    },
  },
  'GET /api/crm/imports': {
    kind: 'custom',
    // Below leads.read scope `all`: the imports the caller started, no other.
    run: async (w, caller, leak) => {
      const items = dataOf(await caller.client.get('/imports?limit=100')).items as { id: string }[];
      const all = sees[caller.name].length === owners.length;
      for (const { id } of items) {
        const starter = w.importsBy.get(id);
        if (starter === undefined) continue;
        if (!all && starter !== caller.userId) leak(1, `GET /imports lists ${id}`);
      }
      const mine = [...w.importsBy].filter(([, by]) => all || by === caller.userId).map(([id]) => id);
      expect(items.map((item) => item.id)).toEqual(expect.arrayContaining(mine));
    },
  },
  'GET /api/crm/imports/{id}': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      const all = sees[caller.name].length === owners.length;
      for (const [id, by] of w.importsBy) {
        const res = await caller.client.get(`/imports/${id}`);
        if (all || by === caller.userId) expect(res.status, res.text).toBe(200);
        else {
          if (res.status !== 404) leak(1, `GET /imports/${id}: ${res.status}`);
          expect(res.status).toBe(404);
        }
      }
    },
  },
  'GET /api/crm/cohorts/{id}/leads': {
    kind: 'list',
    urls: (w) => [`/cohorts/${w.cohortId}/leads?limit=200`, `/cohorts/${w.cohortId}/leads?limit=200&page=1`],
  },
  'GET /api/crm/cohorts/assignments/{jobId}/leads': {
    kind: 'list',
    urls: (w) => [`/cohorts/assignments/${w.distributionRef}/leads?limit=200`],
    rowLeadId: (row) => row.leadId,
  },
  'POST /api/crm/cohorts/{id}/assignments': {
    kind: 'custom',
    // A distribution reassigns leads across the tenant: leads.assign with scope `all` only.
    run: async (w, caller) => {
      const res = await caller.client.post(`/cohorts/${w.emptyCohortId}/assignments`, {
        agentIds: [w.agents.A],
      });
      const allowed = caller.name === 'admin' || caller.name === 'apiKey';
      // 409 when another allowed caller's distribution of the empty cohort is still queued.
      expect([allowed ? 202 : 403, ...(allowed ? [409] : [])], res.text).toContain(res.status);
    },
  },
  'POST /api/crm/cohorts': { kind: 'noLeadRecords', reason: 'saves a filter definition' },
  'GET /api/crm/cohorts': { kind: 'noLeadRecords', reason: 'filter definitions, no lead data' },
  'GET /api/crm/cohorts/{id}': { kind: 'noLeadRecords', reason: 'a filter definition' },
  'PATCH /api/crm/cohorts/{id}': { kind: 'noLeadRecords', reason: 'changes a filter definition' },
  'DELETE /api/crm/cohorts/{id}': { kind: 'noLeadRecords', reason: 'deletes a definition, leads untouched' },
  'GET /api/crm/cohorts/{id}/assignments': {
    kind: 'noLeadRecords',
    reason: "distributions' settings and counts, no lead row",
  },
  'GET /api/crm/cohorts/assignments/{jobId}': {
    kind: 'noLeadRecords',
    reason: "a distribution's settings and counts per agent and reason, no lead row",
  },

  // Records linked to leads: visible exactly when one of their leads is (no lead: scope `all`).
  'POST /api/crm/contacts': {
    kind: 'custom',
    // A contact of no lead is scope `all`'s: a role writing only some leads may not make one.
    run: async (w, caller, leak) => {
      const res = await caller.client.post('/contacts', { firstName: 'Loose', phone: nextPhone() });
      if (sees[caller.name].length === owners.length) expect(res.status, res.text).toBe(201);
      else {
        if (res.status !== 403 || res.body.error?.code !== 'forbidden')
          leak(1, `made a contact of no lead (${res.status}), one it cannot see`);
      }
    },
  },
  'GET /api/crm/contacts': {
    kind: 'list',
    urls: () => ['/contacts?limit=200', '/contacts?limit=200&q=Linked', '/contacts?limit=200&q=Loose'],
    rowOwners: async (w, row) => {
      const leads = await w.db
        .selectFrom('leads')
        .select('id')
        .where((eb) => eb.or([eb('id', '=', row.leadId ?? null), eb('contact_id', '=', row.id)]))
        .execute();
      return w.ownersNow(leads.length ? leads.map((lead) => lead.id) : [null]);
    },
    // B's also the contact of no lead_id that B's other lead points at.
    shows: (w, owner) => [w.linked[owner].contactId, ...(owner === 'B' ? [w.contactOfBsLead] : [])],
  },
  'GET /api/crm/contacts/{id}': { kind: 'read', url: (w, owner) => `/contacts/${w.linked[owner].contactId}` },
  'PATCH /api/crm/contacts/{id}': {
    kind: 'write',
    prepare: (w, leadId) => w.addContact(leadId),
    request: (_w, _leadId, id) => ({ url: `/contacts/${id}`, body: { company: 'Changed' } }),
    state: (w, _leadId, id) => w.db.selectFrom('contacts').selectAll().where('id', '=', id).execute(),
  },
  'DELETE /api/crm/contacts/{id}': {
    kind: 'write',
    prepare: (w, leadId) => w.addContact(leadId),
    request: (_w, _leadId, id) => ({ url: `/contacts/${id}` }),
    state: (w, _leadId, id) => w.db.selectFrom('contacts').selectAll().where('id', '=', id).execute(),
  },
  'POST /api/crm/email/messages': {
    kind: 'write',
    request: (w, leadId) => ({
      url: '/email/messages',
      body: { to: 'someone@example.test', templateId: w.templateId, leadId },
    }),
    state: (w, leadId) =>
      w.db.selectFrom('email_messages').select('id').where('lead_id', '=', leadId).execute(),
  },
  'GET /api/crm/email/messages/{id}': {
    kind: 'read',
    url: (w, owner) => `/email/messages/${w.linked[owner].emailId}`,
  },
  'POST /api/crm/meetings': {
    kind: 'write',
    // A visible lead passes the check, then meets the tenant's missing Google credentials (409).
    request: (_w, leadId) => ({
      url: '/meetings',
      body: {
        leadId,
        title: 'Call',
        start: '2030-02-01T10:00:00Z',
        end: '2030-02-01T10:30:00Z',
        attendees: [],
      },
    }),
    state: (w, leadId) => w.db.selectFrom('meetings').select('id').where('lead_id', '=', leadId).execute(),
  },
  'GET /api/crm/meetings': {
    kind: 'list',
    urls: (w) => [
      '/meetings?limit=200',
      ...owners.map((owner) => `/meetings?limit=200&leadId=${w.linked[owner].leadId}`),
    ],
    rowOwners: (w, row) => w.ownersNow([row.leadId]),
    shows: (w, owner) => [w.linked[owner].meetingId],
  },
  'GET /api/crm/meetings/{id}': { kind: 'read', url: (w, owner) => `/meetings/${w.linked[owner].meetingId}` },
  'GET /api/crm/conversations': {
    kind: 'list',
    urls: () => ['/conversations?limit=200'],
    rowOwners: async (w, row) => {
      // The lead the row names is the one it is visible through: no other.
      const [stored] = await w.db
        .selectFrom('conversations')
        .select('lead_id')
        .where('id', '=', row.id)
        .execute();
      expect(row.leadId).toBe(stored?.lead_id);
      return w.ownersNow([row.leadId]);
    },
    shows: (w, owner) => [w.linked[owner].conversationId],
  },
  'GET /api/crm/conversations/{id}/messages': {
    kind: 'read',
    url: (w, owner) => `/conversations/${w.linked[owner].conversationId}/messages`,
  },
  'POST /api/crm/conversations/{id}/read': {
    kind: 'write',
    prepare: (w, leadId) => w.addConversation(leadId),
    request: (_w, _leadId, id) => ({ url: `/conversations/${id}/read`, body: {} }),
    state: (w, _leadId, id) => w.db.selectFrom('conversations').selectAll().where('id', '=', id).execute(),
  },
  'POST /api/crm/conversations/{id}/messages': {
    kind: 'write',
    prepare: (w, leadId) => w.addConversation(leadId),
    request: (_w, _leadId, id) => ({
      url: `/conversations/${id}/messages`,
      body: { type: 'text', text: 'hi' },
    }),
    state: async (w, _leadId, id) => ({
      conversation: await w.db.selectFrom('conversations').selectAll().where('id', '=', id).execute(),
      messages: await w.db.selectFrom('messages').select('id').where('conversation_id', '=', id).execute(),
    }),
  },
  'GET /api/crm/messages/{id}/media': {
    kind: 'read',
    url: (w, owner) => `/messages/${w.linked[owner].messageId}/media`,
  },

  // Pipelines (issue 19): definitions read by every caller alike; leads and contacts moved through stages.
  'GET /api/crm/pipelines': {
    kind: 'custom',
    // Configuration, the same for every caller: each gets exactly the API key's answer.
    run: async (w, caller) => {
      await matrixPipelines(w);
      const url = '/pipelines?limit=200&archived=all';
      const mine = dataOf(await caller.client.get(url));
      expect(mine.items.length).toBeGreaterThanOrEqual(2);
      expect(mine).toEqual(dataOf(await w.key.get(url)));
    },
  },
  'GET /api/crm/pipelines/{id}': {
    kind: 'custom',
    run: async (w, caller) => {
      const { leadRef } = await matrixPipelines(w);
      expect(dataOf(await caller.client.get(`/pipelines/${leadRef}`))).toEqual(
        dataOf(await w.key.get(`/pipelines/${leadRef}`)),
      );
    },
  },
  'POST /api/crm/leads/{id}/stage': {
    kind: 'write',
    prepare: async (w, leadId) => {
      await matrixPipelines(w);
      return leadId;
    },
    request: (_w, id) => ({ url: `/leads/${id}/stage`, body: { stageId: pipelineStages.lead! } }),
    state: (w, id) =>
      w.db
        .selectFrom('stage_history')
        .select(['stage_id', 'exited_at'])
        .where('record_id', '=', id)
        .execute(),
  },
  'GET /api/crm/leads/{id}/stages': { kind: 'read', url: (w, owner) => `/leads/${w.leads[owner][0]}/stages` },
  'POST /api/crm/contacts/{id}/stage': {
    kind: 'write',
    prepare: async (w, leadId) => {
      await matrixPipelines(w);
      return w.addContact(leadId);
    },
    request: (_w, _leadId, id) => ({
      url: `/contacts/${id}/stage`,
      body: { stageId: pipelineStages.contact! },
    }),
    state: (w, _leadId, id) =>
      w.db
        .selectFrom('stage_history')
        .select(['stage_id', 'exited_at'])
        .where('record_id', '=', id)
        .execute(),
  },
  'GET /api/crm/contacts/{id}/stages': {
    kind: 'read',
    url: (w, owner) => `/contacts/${w.linked[owner].contactId}/stages`,
  },

  // Quotations (issue 19, wp-quotes): a quotation is visible exactly when its deal is, by the
  // deal's owner agent. Writes: a deal owned as the fresh lead is, with a quotation (rows straight
  // into the schema: the deal API lands in parallel).
  'POST /api/crm/deals/{id}/quotations': {
    kind: 'write',
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId)).dealId,
    request: (_w, _leadId, dealId) => ({
      url: `/deals/${dealId}/quotations`,
      body: { lines: [{ name: 'Item', quantity: 1, unitPrice: 500 }] },
    }),
    state: (w, _leadId, dealId) =>
      w.db.selectFrom('quotations').select('id').where('deal_id', '=', dealId).execute(),
  },
  'GET /api/crm/deals/{id}/quotations': {
    kind: 'read',
    url: async (w, owner) => `/deals/${(await quotationOf(w, owner)).dealId}/quotations`,
  },
  'GET /api/crm/quotations/{id}': {
    kind: 'read',
    url: async (w, owner) => `/quotations/${(await quotationOf(w, owner)).ref}`,
  },
  'GET /api/crm/quotations/{id}/versions/{version}': {
    kind: 'read',
    url: async (w, owner) => `/quotations/${(await quotationOf(w, owner)).id}/versions/1`,
  },
  'GET /api/crm/quotations/{id}/pdf': {
    kind: 'read',
    url: async (w, owner) => `/quotations/${(await quotationOf(w, owner)).id}/pdf`,
  },
  'PATCH /api/crm/quotations/{id}': {
    kind: 'write',
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId, 'shared')).id,
    request: (_w, _leadId, id) => ({ url: `/quotations/${id}`, body: { notes: 'changed' } }),
    state: (w, _leadId, id) => quotationState(w, id),
  },
  'POST /api/crm/quotations/{id}/share': {
    kind: 'write',
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId, 'draft')).id,
    request: (_w, _leadId, id) => ({ url: `/quotations/${id}/share` }),
    state: (w, _leadId, id) => quotationState(w, id),
  },
  'POST /api/crm/quotations/{id}/accept': {
    kind: 'write',
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId, 'shared')).id,
    request: (_w, _leadId, id) => ({ url: `/quotations/${id}/accept` }),
    state: (w, _leadId, id) => quotationState(w, id),
  },
  'POST /api/crm/quotations/{id}/reject': {
    kind: 'write',
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId, 'shared')).id,
    request: (_w, _leadId, id) => ({ url: `/quotations/${id}/reject` }),
    state: (w, _leadId, id) => quotationState(w, id),
  },
  'POST /api/crm/quotations/{id}/send': {
    kind: 'write',
    // No SMTP settings in this tenant: a visible quotation is 409 channel_not_configured.
    prepare: async (w, leadId) => (await quotationOfLead(w.db, leadId, 'draft')).id,
    request: (_w, _leadId, id) => ({
      url: `/quotations/${id}/send`,
      body: { channel: 'email', to: 'buyer@example.test' },
    }),
    state: (w, _leadId, id) => quotationState(w, id),
  },

  // --- Deals (issue 19): a deal's owner is its agent (a deal of a lead: the lead's owner) ---
  'POST /api/crm/deals': {
    kind: 'custom',
    // A deal of a lead the caller cannot see: 404 (as an absent lead), nothing created.
    run: async (w, caller, leak) => {
      const { pipelineId } = await dealFixtures(w);
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/deals', {
          title: 'M',
          currency: 'EUR',
          pipelineId,
          leadId: lead.id,
        });
        if (sees[caller.name].includes(owner)) expect(res.status, res.text).toBe(201);
        else if (res.status !== 404) leak(1, `POST /deals of ${owner}'s lead: ${res.status}`);
      }
    },
  },
  'GET /api/crm/deals': {
    kind: 'list',
    urls: (w) => [
      '/deals?limit=200',
      `/deals?limit=200&ownerId=${w.agents.B}`,
      '/deals?limit=200&sort=amount&order=asc',
      '/deals?limit=200&rotting=false',
    ],
    rowOwners: async (w, row) => [dealOwner(w, row.ownerId)],
  },
  'GET /api/crm/deals/{id}': {
    kind: 'read',
    url: async (w, owner) => `/deals/${(await dealFixtures(w)).deals[owner]}`,
  },
  'GET /api/crm/deals/{id}/stages': {
    kind: 'read',
    url: async (w, owner) => `/deals/${(await dealFixtures(w)).deals[owner]}/stages`,
  },
  'GET /api/crm/deals/{id}/notes': {
    kind: 'read',
    url: async (w, owner) => `/deals/${(await dealFixtures(w)).deals[owner]}/notes`,
  },
  'GET /api/crm/deals/{id}/activity': {
    kind: 'read',
    url: async (w, owner) => `/deals/${(await dealFixtures(w)).deals[owner]}/activity`,
  },
  'PATCH /api/crm/deals/{id}': {
    kind: 'write',
    prepare: (w, leadId) => dealOfLead(w, leadId),
    request: (_w, _id, dealId) => ({ url: `/deals/${dealId}`, body: { amount: 777, tags: ['changed'] } }),
    state: (w, _id, dealId) => dealState(w, dealId),
  },
  'DELETE /api/crm/deals/{id}': {
    kind: 'write',
    prepare: (w, leadId) => dealOfLead(w, leadId),
    request: (_w, _id, dealId) => ({ url: `/deals/${dealId}` }),
    state: (w, _id, dealId) => dealState(w, dealId),
  },
  'POST /api/crm/deals/{id}/stage': {
    kind: 'write',
    prepare: (w, leadId) => dealOfLead(w, leadId),
    request: (_w, _id, dealId) => ({ url: `/deals/${dealId}/stage`, body: { stageId: matrixDeals!.next } }),
    state: (w, _id, dealId) => dealState(w, dealId),
  },
  'POST /api/crm/deals/{id}/status': {
    kind: 'write',
    prepare: (w, leadId) => dealOfLead(w, leadId),
    request: (_w, _id, dealId) => ({ url: `/deals/${dealId}/status`, body: { status: 'closed' } }),
    state: (w, _id, dealId) => dealState(w, dealId),
  },
  'POST /api/crm/deals/{id}/notes': {
    kind: 'write',
    prepare: (w, leadId) => dealOfLead(w, leadId),
    request: (_w, _id, dealId) => ({ url: `/deals/${dealId}/notes`, body: { body: 'a note' } }),
    state: (w, _id, dealId) => dealState(w, dealId),
  },
  'GET /api/crm/pipelines/{id}/board': {
    kind: 'custom',
    // No deal, count or amount of an invisible owner on the board.
    run: async (w, caller, leak) => {
      const { pipelineId } = await dealFixtures(w);
      const board = dataOf(await caller.client.get(`/pipelines/${pipelineId}/board?limit=100`));
      const all = dataOf(await w.key.get(`/deals?pipelineId=${pipelineId}&limit=200`)).items as any[];
      const visible = all.filter((deal) => sees[caller.name].includes(dealOwner(w, deal.ownerId)));
      for (const stage of board.stages as any[]) {
        for (const deal of stage.deals) {
          const owner = dealOwner(w, deal.ownerId);
          if (!sees[caller.name].includes(owner)) leak(1, `board shows a deal of ${owner}`);
        }
        const mine = visible.filter((deal) => deal.stage.id === stage.id);
        if (stage.count !== mine.length)
          leak(Math.abs(stage.count - mine.length), `board counts ${stage.count}`);
      }
    },
  },

  // Working calendars (issue 20): tenant configuration, no lead records; every caller gets
  // exactly the API key's answer (a stored calendar and the default one).
  ...Object.fromEntries(
    (
      [
        ['GET /api/crm/calendars/default', () => ['/calendars/default']],
        ['GET /api/crm/calendars', () => ['/calendars']],
        ['GET /api/crm/calendars/{id}', (id: string) => [`/calendars/${id}`]],
        [
          'GET /api/crm/calendars/{id}/deadline',
          (id: string) =>
            [id, 'default'].map(
              (ref) => `/calendars/${ref}/deadline?start=2026-03-06T18:00:00Z&duration=P1DT4H`,
            ),
        ],
        [
          'GET /api/crm/calendars/{id}/business-time',
          (id: string) =>
            [id, 'default'].map(
              (ref) => `/calendars/${ref}/business-time?from=2026-03-01T00:00:00Z&to=2026-03-20T00:00:00Z`,
            ),
        ],
      ] as const
    ).map(([operation, urls]): [string, Entry] => [
      operation,
      {
        kind: 'custom',
        run: async (w, caller) => {
          for (const url of urls(await matrixCalendar(w))) {
            expect(dataOf(await caller.client.get(url))).toEqual(dataOf(await w.key.get(url)));
          }
        },
      },
    ]),
  ),

  // Tasks (issue 20): visible by their assignee as leads by their owner; a lead's task goes to its owner.
  'POST /api/crm/tasks': {
    kind: 'custom',
    // A task on a lead the caller cannot see: 404 (as an absent lead), nothing created.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/tasks', { title: 'M', leadId: lead.id });
        if (sees[caller.name].includes(owner)) {
          expect(res.status, res.text).toBe(201);
          expect(dealOwner(w, res.body.data.assigneeId)).toBe(owner);
        } else if (res.status !== 404) leak(1, `POST /tasks on ${owner}'s lead: ${res.status}`);
        const made = await w.db.selectFrom('tasks').select('id').where('lead_id', '=', lead.id).execute();
        if (!sees[caller.name].includes(owner) && made.length > 0) leak(made.length, 'a task was made');
      }
    },
  },
  'GET /api/crm/tasks': {
    kind: 'list',
    urls: (w) => [
      '/tasks?limit=200',
      `/tasks?limit=200&assigneeId=${w.agents.B}`,
      '/tasks?limit=200&sort=dueAt',
    ],
    rowOwners: async (w, row) => [dealOwner(w, row.assigneeId)],
  },
  'GET /api/crm/tasks/{id}': {
    kind: 'read',
    url: async (w, owner) => `/tasks/${await taskOfLead(w, (await w.newLead(owner)).id)}`,
  },
  'PATCH /api/crm/tasks/{id}': {
    kind: 'write',
    prepare: (w, leadId) => taskOfLead(w, leadId),
    request: (_w, _id, taskId) => ({
      url: `/tasks/${taskId}`,
      body: { title: 'Changed', priority: 'urgent' },
    }),
    state: (w, _id, taskId) => taskState(w, taskId),
  },
  'DELETE /api/crm/tasks/{id}': {
    kind: 'write',
    prepare: (w, leadId) => taskOfLead(w, leadId),
    request: (_w, _id, taskId) => ({ url: `/tasks/${taskId}` }),
    state: (w, _id, taskId) => taskState(w, taskId),
  },
  'POST /api/crm/tasks/{id}/complete': {
    kind: 'write',
    prepare: (w, leadId) => taskOfLead(w, leadId),
    request: (_w, _id, taskId) => ({ url: `/tasks/${taskId}/complete`, body: { note: 'Done' } }),
    state: (w, _id, taskId) => taskState(w, taskId),
  },
  'GET /api/crm/sla-policies': { kind: 'noLeadRecords', reason: 'SLA policies are tenant configuration' },
  'GET /api/crm/sla-policies/{id}': {
    kind: 'noLeadRecords',
    reason: 'SLA policies are tenant configuration',
  },

  // Signals (issue 20): seen and resolved by their owner agent, as leads by theirs.
  'GET /api/crm/signals/settings': {
    kind: 'custom',
    run: async (w, caller) => {
      expect(dataOf(await caller.client.get('/signals/settings'))).toEqual(
        dataOf(await w.key.get('/signals/settings')),
      );
    },
  },
  'GET /api/crm/signals': {
    kind: 'custom',
    // No row (and no count) of an invisible owner; the caller's own fixtures show.
    run: async (w, caller, leak) => {
      const fixtures = await Promise.all(owners.map((owner) => signalOf(w, owner)));
      for (const url of [
        '/signals?limit=200',
        `/signals?limit=200&ownerId=${w.agents.B}`,
        '/signals?limit=200&ownerId=unassigned',
        '/signals?limit=200&status=pending&sort=slaDeadline&order=asc',
        '/signals?limit=200&breached=false',
      ]) {
        const { items, total } = dataOf(await caller.client.get(url));
        for (const row of items as { id: string; ownerId: string | null }[]) {
          const owner = dealOwner(w, row.ownerId);
          if (!sees[caller.name].includes(owner)) leak(1, `${url} lists a signal of ${owner}`);
        }
        expect(total, url).toBe(items.length);
      }
      const ids = dataOf(await caller.client.get('/signals?limit=200')).items.map((row: any) => row.id);
      for (const [i, owner] of owners.entries())
        if (sees[caller.name].includes(owner)) expect(ids).toContain(fixtures[i]);
    },
  },
  'GET /api/crm/signals/{id}': {
    kind: 'read',
    url: async (w, owner) => `/signals/${await signalOf(w, owner)}`,
  },
  'POST /api/crm/signals': {
    kind: 'custom',
    // On a lead the caller cannot see: 404 (as an absent lead), nothing opened.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/signals', { type: 'system', leadId: lead.id, content: 'M' });
        const opened = dataOf(await w.key.get(`/signals?leadId=${lead.id}`)).items;
        if (sees[caller.name].includes(owner)) expect(res.status, res.text).toBe(201);
        else if (res.status !== 404 || opened.length > 0)
          leak(1, `POST /signals on ${owner}'s lead: ${res.status}`);
      }
    },
  },
  'POST /api/crm/signals/{id}/resolve': {
    kind: 'write',
    prepare: async (w, leadId) =>
      dataOf(await w.key.post('/signals', { type: 'system', leadId, content: 'Write' }), 201).id,
    request: (_w, _id, signalId) => ({ url: `/signals/${signalId}/resolve`, body: { note: 'done' } }),
    state: async (w, _id, signalId) => (await w.key.get(`/signals/${signalId}`)).body,
  },

  // Dashboard (issue 20): every KPI of the caller counts (or sums) exactly the records of its
  // drill-down that the caller sees, as listed by the API key and filtered to the caller's owners.
  ...Object.fromEntries(
    (
      [
        ['GET /api/crm/dashboard/leads', () => ['/dashboard/leads']],
        [
          'GET /api/crm/dashboard/funnel',
          (pipelineId: string) => [`/dashboard/funnel?pipelineId=${pipelineId}`],
        ],
        [
          'GET /api/crm/dashboard/time-in-stage',
          (pipelineId: string) => [`/dashboard/time-in-stage?pipelineId=${pipelineId}`],
        ],
        ['GET /api/crm/dashboard/revenue', () => ['/dashboard/revenue']],
        ['GET /api/crm/dashboard/work', () => ['/dashboard/work']],
      ] as const
    ).map(([operation, urls]): [string, Entry] => [
      operation,
      {
        kind: 'custom',
        run: async (w, caller, leak) => {
          const { pipelineId } = await dealFixtures(w);
          for (const url of urls(pipelineId)) {
            for (const kpi of dashboardKpis(dataOf(await caller.client.get(url)))) {
              const rows: any[] = [];
              let cursor: string | null = null;
              do {
                const query: URLSearchParams = new URLSearchParams({
                  ...kpi.drilldown.query,
                  limit: '200',
                  ...(cursor ? { cursor } : {}),
                });
                const page: { items: any[]; nextCursor: string | null } = dataOf(
                  await w.key.get(`${kpi.drilldown.path.slice('/api/crm'.length)}?${query}`),
                );
                rows.push(...page.items);
                cursor = page.nextCursor;
              } while (cursor);
              const seen = rows.filter((row) =>
                sees[caller.name].includes(
                  dealOwner(w, row.ownerId ?? row.assignedAgentId ?? row.assigneeId ?? null),
                ),
              );
              const expected =
                'records' in kpi
                  ? seen.length
                  : 'currency' in kpi
                    ? seen.reduce((sum, row) => sum + row.amount, 0)
                    : seen.length;
              const actual = 'records' in kpi ? kpi.records.value : kpi.value;
              if (actual !== expected) leak(Math.abs(actual - expected), `${url}: ${actual} ≠ ${expected}`);
            }
          }
        },
      },
    ]),
  ),

  // Agent presence (issue 21): an agent's presence is visible as that agent's leads are.
  'GET /api/crm/presence': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      const items = dataOf(await caller.client.get('/presence?limit=200')).items as { agentId: string }[];
      const ownerOf = (agentId: string): Owner =>
        agentId === w.agents.A ? 'A' : agentId === w.agents.B ? 'B' : 'none';
      for (const { agentId } of items) {
        const owner = ownerOf(agentId);
        if (!sees[caller.name].includes(owner)) leak(1, `GET /presence lists ${owner}'s agent`);
      }
      const listed = items.map((item) => ownerOf(item.agentId));
      for (const owner of sees[caller.name]) if (owner !== 'none') expect(listed).toContain(owner);
    },
  },
  'GET /api/crm/presence/{agentId}': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      for (const owner of ['A', 'B'] as const) {
        const res = await caller.client.get(`/presence/${w.agents[owner]}`);
        if (sees[caller.name].includes(owner)) expect(res.status, res.text).toBe(200);
        else if (res.status !== 404) leak(1, `GET /presence of ${owner}'s agent: ${res.status}`);
      }
    },
  },
  'PUT /api/crm/presence/{agentId}': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      const row = (agentId: string) =>
        w.db.selectFrom('agent_presence').selectAll().where('agent_id', '=', agentId).executeTakeFirst();
      for (const owner of ['A', 'B'] as const) {
        const agentId = w.agents[owner];
        const before = await row(agentId);
        const res = await caller.client.put(`/presence/${agentId}`, { setting: 'available' });
        if (sees[caller.name].includes(owner)) expect(res.status, res.text).toBe(200);
        else {
          if (res.status !== 404) leak(1, `PUT /presence of ${owner}'s agent: ${res.status}`);
          expect(await row(agentId), `${owner}'s presence unchanged`).toEqual(before);
        }
      }
    },
  },
  'GET /api/crm/call-settings': { kind: 'noLeadRecords', reason: 'the tenant calling rules, no lead data' },
  'GET /api/crm/dnc': {
    kind: 'custom',
    // A listed number of an invisible owner's lead is not shown (nor counted); a visible one is.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const { phone } = await dncLeadOf(w, owner);
        const page = dataOf(await caller.client.get(`/dnc?limit=200&phone=${encodeURIComponent(phone)}`));
        const visible = sees[caller.name].includes(owner);
        if (visible) expect(page.total, `${caller.name}: ${owner}'s listed number`).toBe(1);
        else if (page.total !== 0 || page.items.length !== 0)
          leak(page.items.length || 1, `/dnc shows ${owner}'s number`);
      }
    },
  },
  // Call statistics (issue 21): per salesperson, the rows of the agents the caller sees; per
  // campaign, the calls and queue entries of the leads the caller sees.
  'GET /api/crm/call-stats/agents': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      await matrixCalls(w);
      const { agents } = dataOf(await caller.client.get('/call-stats/agents?campaign=matrix-calls'));
      for (const row of agents as { agent: { id: string }; calls: number }[]) {
        const owner = dealOwner(w, row.agent.id);
        if (!sees[caller.name].includes(owner)) leak(row.calls, `call stats of ${owner}'s calls`);
      }
      const shown = (agents as { agent: { id: string } }[]).map((row) => dealOwner(w, row.agent.id));
      expect(shown.sort()).toEqual(sees[caller.name].filter((owner) => owner !== 'none').sort());
    },
  },
  'GET /api/crm/call-stats/campaigns': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      await matrixCalls(w);
      const { campaigns } = dataOf(await caller.client.get('/call-stats/campaigns?campaign=matrix-calls'));
      const seen = sees[caller.name].length;
      const row = campaigns[0] ?? { calls: 0, queue: { waiting: 0 } };
      if (row.calls > seen) leak(row.calls - seen, `calls of leads not seen: ${row.calls}`);
      if (row.queue.waiting > seen)
        leak(row.queue.waiting - seen, `queue entries not seen: ${row.queue.waiting}`);
      expect([row.calls, row.queue.waiting]).toEqual([seen, seen]);
    },
  },

  // Calls (issue 21): a call is visible through its salesperson or its lead; the queue by its lead.
  'GET /api/crm/calls': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      const fixtures = await Promise.all(owners.map((owner) => matrixCallOf(w, owner)));
      const { items, total } = dataOf(await caller.client.get('/calls?limit=200&campaign=matrix-calls'));
      for (const row of items as { id: string; agentId: string | null }[]) {
        const owner = dealOwner(w, row.agentId);
        if (!sees[caller.name].includes(owner)) leak(1, `/calls lists a call of ${owner}`);
      }
      expect(total).toBe(items.length);
      const ids = (items as { id: string }[]).map((row) => row.id);
      for (const [i, owner] of owners.entries())
        if (sees[caller.name].includes(owner)) expect(ids).toContain(fixtures[i]);
    },
  },
  'GET /api/crm/calls/{id}': {
    kind: 'read',
    url: async (w, owner) => `/calls/${await matrixCallOf(w, owner)}`,
  },
  'GET /api/crm/calls/{id}/recording': {
    kind: 'custom',
    // Visible: the call is found (no recording stored: 404 media_not_available); invisible: not_found.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const res = await caller.client.get(`/calls/${await matrixCallOf(w, owner)}/recording`);
        const code = res.body?.error?.code;
        if (sees[caller.name].includes(owner)) expect(code, res.text).toBe('media_not_available');
        else if (code !== 'not_found') leak(1, `recording of ${owner}'s call: ${code}`);
      }
    },
  },
  'POST /api/crm/calls': {
    kind: 'custom',
    // On an invisible lead: 404 and no call; on a visible one the tenant has no telephony (409).
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const agentId = owner === 'none' ? w.agents.A : w.agents[owner];
        const res = await caller.client.post('/calls', { leadId: lead.id, agentId });
        const placed = await w.db.selectFrom('calls').select('id').where('lead_id', '=', lead.id).execute();
        expect(placed).toEqual([]);
        if (!sees[caller.name].includes(owner)) {
          if (res.status !== 404) leak(1, `POST /calls on ${owner}'s lead: ${res.status}`);
        } else expect([403, 409], res.text).toContain(res.status);
      }
    },
  },
  'POST /api/crm/calls/{id}/disposition': {
    kind: 'write',
    prepare: (w, leadId) => callOnLead(w, leadId),
    request: (_w, _id, callId) => ({
      url: `/calls/${callId}/disposition`,
      body: { disposition: 'prospect' },
    }),
    state: (w, _id, callId) => w.db.selectFrom('calls').selectAll().where('id', '=', callId).execute(),
  },
  'GET /api/crm/call-queue': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      await matrixCalls(w);
      const { items, total } = dataOf(await caller.client.get('/call-queue?limit=200&campaign=matrix-calls'));
      const seen = await w.ownersNow((items as { leadId: string }[]).map((row) => row.leadId));
      for (const owner of seen)
        if (!sees[caller.name].includes(owner)) leak(1, `/call-queue lists ${owner}'s lead`);
      expect(total).toBe(items.length);
      expect([...seen].sort()).toEqual([...sees[caller.name]].sort());
    },
  },
  'POST /api/crm/call-queue': {
    kind: 'custom',
    // An invisible lead is skipped as not_found and not queued.
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/call-queue', {
          leadIds: [lead.id],
          priority: 'low',
          campaign: 'mq',
        });
        const queued = await w.db
          .selectFrom('call_queue')
          .select('id')
          .where('lead_id', '=', lead.id)
          .execute();
        if (sees[caller.name].includes(owner))
          expect([res.status, queued.length], res.text).toEqual([201, 1]);
        else if (queued.length > 0 || dataOf(res).skipped[0]?.reason !== 'not_found')
          leak(1, `POST /call-queue queued ${owner}'s lead`);
      }
    },
  },
  'POST /api/crm/call-queue/from-filter': {
    kind: 'custom',
    run: async (w, caller, leak) => {
      for (const owner of owners) {
        const lead = await w.newLead(owner);
        const res = await caller.client.post('/call-queue/from-filter', {
          filter: { q: lead.phone },
          priority: 'low',
          campaign: 'mqf',
        });
        expect(res.status, res.text).toBe(200);
        const queued = await w.db
          .selectFrom('call_queue')
          .select('id')
          .where('lead_id', '=', lead.id)
          .execute();
        if (sees[caller.name].includes(owner)) expect(queued.length, res.text).toBe(1);
        else if (queued.length > 0 || dataOf(res).matched !== 0)
          leak(1, `from-filter reached ${owner}'s lead`);
      }
    },
  },
  'DELETE /api/crm/call-queue/{id}': {
    kind: 'write',
    prepare: async (w, leadId) => {
      const entry = await w.db
        .insertInto('call_queue')
        .values({
          lead_id: leadId,
          priority: 'low',
          priority_rank: 3,
          timezones: ['UTC'],
          queued_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return entry.id;
    },
    request: (_w, _id, entryId) => ({ url: `/call-queue/${entryId}` }),
    state: (w, _id, entryId) => w.db.selectFrom('call_queue').selectAll().where('id', '=', entryId).execute(),
  },
};

/** A lead of each owner whose number is on the do-not-call list (made once per owner, by the key). */
const matrixDncLeads = new Map<Owner, Promise<{ id: string; phone: string }>>();
function dncLeadOf(w: World, owner: Owner): Promise<{ id: string; phone: string }> {
  if (!matrixDncLeads.has(owner)) {
    matrixDncLeads.set(
      owner,
      w.newLead(owner).then(async (lead) => {
        dataOf(await w.key.post('/dnc', { phones: [lead.phone] }));
        return lead;
      }),
    );
  }
  return matrixDncLeads.get(owner)!;
}

/**
 * The matrix's calls (campaign `matrix-calls`, made once): per owner, an ended, bridged call on a
 * lead of that owner taken by that owner (none: by no one), and a waiting queue entry of a lead.
 */
let callsMade: Promise<void> | undefined;
function matrixCalls(w: World): Promise<void> {
  callsMade ??= (async () => {
    const queuedAt = new Date(Date.now() - 86_400_000);
    for (const owner of owners) {
      const lead = await w.newLead(owner);
      await w.db
        .insertInto('calls')
        .values({
          lead_id: lead.id,
          agent_id: owner === 'none' ? null : w.agents[owner],
          campaign: 'matrix-calls',
          direction: 'outbound',
          mode: 'dialer',
          from_number: '+14150000000',
          to_number: lead.phone,
          status: 'completed',
          outcome: 'answered',
          answered_by: 'human',
          queued_at: queuedAt,
          answered_at: queuedAt,
          bridged_at: queuedAt,
          ended_at: new Date(queuedAt.getTime() + 60_000),
          talk_seconds: 60,
        })
        .execute();
      const waiting = await w.newLead(owner);
      await w.db
        .insertInto('call_queue')
        .values({
          lead_id: waiting.id,
          campaign: 'matrix-calls',
          priority: 'low',
          priority_rank: 3,
          timezones: ['UTC'],
          queued_at: queuedAt,
        })
        .execute();
    }
  })();
  return callsMade;
}

/** The matrix call of `owner` (campaign `matrix-calls`, on a lead of theirs, taken by them). */
async function matrixCallOf(w: World, owner: Owner): Promise<string> {
  await matrixCalls(w);
  let query = w.db.selectFrom('calls').select('id').where('campaign', '=', 'matrix-calls');
  query =
    owner === 'none' ? query.where('agent_id', 'is', null) : query.where('agent_id', '=', w.agents[owner]);
  return (await query.executeTakeFirstOrThrow()).id;
}

/** An ended call on `leadId`, taken by its owner. */
async function callOnLead(w: World, leadId: string): Promise<string> {
  const lead = await w.db
    .selectFrom('leads')
    .select(['phone', 'assigned_agent_id'])
    .where('id', '=', leadId)
    .executeTakeFirstOrThrow();
  const at = new Date(Date.now() - 60_000);
  const call = await w.db
    .insertInto('calls')
    .values({
      lead_id: leadId,
      agent_id: lead.assigned_agent_id,
      direction: 'outbound',
      mode: 'click_to_call',
      from_number: '+14150000000',
      to_number: lead.phone,
      status: 'completed',
      outcome: 'answered',
      queued_at: at,
      answered_at: at,
      ended_at: new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return call.id;
}

/** A task on the lead `leadId` (its assignee: the lead's owner), made with the API key. */
async function taskOfLead(w: World, leadId: string): Promise<string> {
  return dataOf(await w.key.post('/tasks', { title: 'Matrix task', leadId, sla: 'PT4H' }), 201).id;
}
const taskState = (w: World, id: string) =>
  w.db.selectFrom('tasks').selectAll().where('id', '=', id).execute();

/** The matrix's signal on a lead of each owner (opened once per owner, by the key). */
const matrixSignals = new Map<Owner, string>();
async function signalOf(w: World, owner: Owner): Promise<string> {
  if (!matrixSignals.has(owner)) {
    const { id: leadId } = await w.newLead(owner);
    const signal = dataOf(
      await w.key.post('/signals', { type: 'system', leadId, content: `Signal of ${owner}` }),
      201,
    );
    matrixSignals.set(owner, signal.id);
  }
  return matrixSignals.get(owner)!;
}

/** Every KPI object in a dashboard answer (anything with a value and a drill-down). */
function dashboardKpis(node: unknown): any[] {
  if (Array.isArray(node)) return node.flatMap(dashboardKpis);
  if (node === null || typeof node !== 'object') return [];
  return [
    ...('drilldown' in node && 'value' in node ? [node] : []),
    ...Object.entries(node).flatMap(([key, child]) => (key.endsWith('rilldown') ? [] : dashboardKpis(child))),
  ];
}

/** A working calendar of the matrix tenant (besides its built-in default), made once. */
let calendarMade: Promise<string> | undefined;
function matrixCalendar(w: World): Promise<string> {
  calendarMade ??= (async () => {
    const calendar = dataOf(
      await w.key.post('/calendars', {
        name: 'Matrix hours',
        timezone: 'America/New_York',
        intervals: { mon: [['09:00', '17:00']], sat: [['00:00', '24:00']] },
        holidays: ['--03-09'],
      }),
      201,
    );
    return calendar.id as string;
  })();
  return calendarMade;
}

/** A lead and a contact pipeline of the matrix tenant (not defaults: fixtures enter none), made once. */
const pipelineStages: { lead?: string; contact?: string; leadRef?: string } = {};
let pipelinesMade: Promise<{ leadRef: string }> | undefined;
function matrixPipelines(w: World): Promise<{ leadRef: string }> {
  pipelinesMade ??= (async () => {
    const lead = dataOf(
      await w.key.post('/pipelines', { kind: 'lead', name: 'Matrix leads', stages: [{ name: 'In' }] }),
      201,
    );
    const contact = dataOf(
      await w.key.post('/pipelines', { kind: 'contact', name: 'Matrix contacts', stages: [{ name: 'In' }] }),
      201,
    );
    pipelineStages.lead = lead.stages[0].id;
    pipelineStages.contact = contact.stages[0].id;
    return { leadRef: lead.ref as string };
  })();
  return pipelinesMade;
}

/** The matrix's quotation of each owner's deal (made once per owner). */
const quotationsByOwner = new Map<Owner, Promise<{ id: string; ref: string; dealId: string }>>();
function quotationOf(w: World, owner: Owner) {
  if (!quotationsByOwner.has(owner)) {
    quotationsByOwner.set(owner, quotationOfOwner(w.db, owner === 'none' ? null : w.agents[owner]));
  }
  return quotationsByOwner.get(owner)!;
}
const quotationState = async (w: World, id: string) => ({
  quotation: await w.db.selectFrom('quotations').selectAll().where('id', '=', id).execute(),
  versions: await w.db.selectFrom('quotation_versions').selectAll().where('quotation_id', '=', id).execute(),
});

/** The deal fixtures of the matrix: a deal pipeline and one deal per owner (made on first use). */
let matrixDeals: { pipelineId: string; next: string; deals: Record<Owner, string> } | undefined;
async function dealFixtures(w: World) {
  if (matrixDeals) return matrixDeals;
  const pipeline = await w.db
    .insertInto('pipelines')
    .values({ kind: 'deal', name: 'Matrix deals' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const stages = await w.db
    .insertInto('pipeline_stages')
    .values([
      { pipeline_id: pipeline.id, position: 1, name: 'First' },
      { pipeline_id: pipeline.id, position: 2, name: 'Second' },
    ])
    .returning(['id', 'position'])
    .execute();
  stages.sort((a, b) => a.position - b.position);
  const deals = {} as Record<Owner, string>;
  for (const owner of owners) {
    const ownerId = owner === 'none' ? null : w.agents[owner];
    deals[owner] = dataOf(
      await w.key.post('/deals', {
        title: `Deal of ${owner}`,
        currency: 'EUR',
        pipelineId: pipeline.id,
        ownerId,
      }),
      201,
    ).id;
    await w.key.post(`/deals/${deals[owner]}/notes`, { body: `note of ${owner}` });
  }
  matrixDeals = { pipelineId: pipeline.id, next: stages[1]!.id, deals };
  return matrixDeals;
}
const dealOwner = (w: World, agentId: string | null): Owner =>
  agentId === w.agents.A ? 'A' : agentId === w.agents.B ? 'B' : 'none';
/** A deal of the lead `leadId` (its owner: the lead's). */
async function dealOfLead(w: World, leadId: string): Promise<string> {
  const { pipelineId } = await dealFixtures(w);
  return dataOf(await w.key.post('/deals', { title: 'Write', currency: 'EUR', pipelineId, leadId }), 201).id;
}
async function dealState(w: World, dealId: string) {
  const res = await w.key.get(`/deals/${dealId}`);
  const notes = await w.key.get(`/deals/${dealId}/notes`);
  return { deal: res.body, notes: notes.body };
}

let phoneCounter = 0;
const nextPhone = () => `+1415555${String(++phoneCounter).padStart(4, '0')}`;

describe('visibility matrix: every lead operation of the OpenAPI document × role', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let world: World;
  let callers: Caller[];
  let operations: string[];
  const permissionOf = new Map<string, string>();

  beforeAll(async () => {
    // Thousands of requests in a minute on Postgres: above the tenant's default rate limit.
    t = await startTestApp({ ROLE: 'web', RATE_LIMIT_MAX: '1000000' });
    tenant = await t.createTenant('matrix');
    const key = t.crm(tenant);
    const agentA = dataOf(await key.post('/agents', { name: 'Agent A', dailyLimit: 500 }), 201).id as string;
    const agentB = dataOf(await key.post('/agents', { name: 'Agent B', dailyLimit: 500 }), 201).id as string;
    const team = await addTestTeam(t, tenant, 'Team of A');
    const users = {
      agentA: await addTestUser(t, tenant, { role: 'agent', agentId: agentA, teamIds: [team] }),
      agentB: await addTestUser(t, tenant, { role: 'agent', agentId: agentB }),
      manager: await addTestUser(t, tenant, { role: 'manager', teamIds: [team] }),
      admin: await addTestUser(t, tenant, { role: 'admin' }),
    };
    const userIds: Record<CallerName, string | null> = {
      agentA: users.agentA.id,
      agentB: users.agentB.id,
      manager: users.manager.id,
      admin: users.admin.id,
      apiKey: null,
    };
    callers = callerNames.map((name) => {
      const headers = name === 'apiKey' ? tenant.headers : users[name].headers;
      return { name, userId: userIds[name], headers, client: tenantClient(t.request, '/api/crm', headers) };
    });
    const importCsv = (caller: Caller, query: string, csv: string) =>
      t.request<any>(`/api/crm/leads/import?${query}`, {
        method: 'POST',
        headers: { ...caller.headers, 'content-type': 'text/csv' },
        body: csv,
      });

    const ownerOf = new Map<string, Owner>();
    const agents = { A: agentA, B: agentB };
    const newLead = async (owner: Owner, tags = ['matrix']) => {
      const phone = nextPhone();
      const body = {
        name: `${tags[0] === 'matrix' ? 'Matrix' : 'Other'} ${owner} ${phoneCounter}`,
        phone,
        tags,
        ...(owner === 'none' ? { assign: false } : { assignedAgentId: agents[owner] }),
      };
      const { lead } = dataOf(await key.post('/leads', body), 201);
      ownerOf.set(lead.id, owner);
      return { id: lead.id as string, phone };
    };
    const leads: Record<Owner, string[]> = { A: [], B: [], none: [] };
    for (const owner of owners) {
      for (let i = 0; i < 3; i++) {
        const { id } = await newLead(owner);
        leads[owner].push(id);
        await key.post(`/leads/${id}/notes`, { body: `note of ${owner}` });
      }
    }
    const cohortId = dataOf(
      await key.post('/cohorts', { name: 'Matrix', filter: { tags: ['matrix'] } }),
      201,
    ).id;
    const emptyCohortId = dataOf(
      await key.post('/cohorts', { name: 'Nobody', filter: { tags: ['matches-nothing'] } }),
      201,
    ).id;

    // A distribution of unassigned leads: they end up A's and B's.
    for (let i = 0; i < 4; i++) await newLead('none', ['dist']);
    const distCohort = dataOf(
      await key.post('/cohorts', { name: 'Dist', filter: { tags: ['dist'] } }),
      201,
    ).id;
    const started = dataOf(
      await key.post(`/cohorts/${distCohort}/assignments`, { agentIds: [agentA, agentB] }),
      202,
    );
    await runCohortAssignment(
      await jobContext(t, tenant.tenant.id, 'cohorts.assign', { assignmentId: started.id }),
    );
    const outcomes = dataOf(await key.get(`/cohorts/assignments/${started.ref}/leads?limit=200`)).items;
    expect(outcomes).toHaveLength(4);
    for (const { leadId } of outcomes) {
      const lead = dataOf(await key.get(`/leads/${leadId}`));
      ownerOf.set(
        leadId,
        lead.assignedAgentId === agentA ? 'A' : lead.assignedAgentId === agentB ? 'B' : 'none',
      );
    }
    expect(new Set(outcomes.map((row: { leadId: string }) => ownerOf.get(row.leadId)))).toEqual(
      new Set(['A', 'B']),
    );

    // Background imports started by A, by B and by the API key (queued: no worker in this app).
    const importsBy = new Map<string, string | null>();
    for (const name of ['agentA', 'agentB', 'apiKey'] as const) {
      const caller = callers.find((c) => c.name === name)!;
      const res = await importCsv(caller, 'mode=background', `name,phone\nX,${nextPhone()}\n`);
      importsBy.set(dataOf(res, 202).id, userIds[name]);
    }

    // Records linked to a lead of each owner: a contact (by conversion), a conversation with a
    // message whose media is stored, an email (queued by the key) and a meeting (no Google here:
    // straight into the schema). Plus a contact and a conversation of no lead (scope `all`), and a
    // contact of no lead_id that B's lead points at (visible through that lead).
    const { db } = await tenantHandle(t, tenant.tenant.id);
    const templateId = dataOf(
      await key.post('/email/templates', { name: 'Matrix', subject: 'Hi', html: '<p>Hi</p>' }),
      201,
    ).id as string;
    const addContact = async (leadId: string | null) =>
      (
        await db
          .insertInto('contacts')
          .values({ lead_id: leadId, first_name: 'Linked', phone: nextPhone() })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const addConversation = async (leadId: string | null) =>
      (
        await db
          .insertInto('conversations')
          .values({
            phone_number_id: '100',
            wa_id: nextPhone().slice(1),
            lead_id: leadId,
            last_inbound_at: new Date(),
            unread_count: 3,
          } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const linked = {} as Record<Owner, Linked>;
    for (const owner of owners) {
      const { id: leadId } = await newLead(owner, ['linked']);
      dataOf(await key.patch(`/leads/${leadId}`, { status: 'qualified' }));
      const contactId = dataOf(await key.post(`/leads/${leadId}/convert`, {}), 201).contact.id as string;
      const conversationId = await addConversation(leadId);
      const messageId = (
        await db
          .insertInto('messages')
          .values({
            conversation_id: conversationId,
            direction: 'inbound',
            type: 'image',
            body: `a photo of ${owner}`,
            content: JSON.stringify({}),
            status: 'received',
            media_id: `media-${owner}`,
            media_key: `matrix/${owner}.jpg`,
            media_mime_type: 'image/jpeg',
          } as never)
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      const emailId = dataOf(
        await key.post('/email/messages', { to: `${owner}@example.test`, templateId, leadId }),
        202,
      ).id as string;
      const meetingId = (
        await db
          .insertInto('meetings')
          .values({
            lead_id: leadId,
            title: `Demo with ${owner}`,
            start_at: new Date('2030-01-01T10:00:00Z'),
            end_at: new Date('2030-01-01T11:00:00Z'),
            attendees: JSON.stringify([]),
            calendar_id: null,
            calendar_event_id: null,
            html_link: null,
            hangout_link: null,
            entry_points: null,
            error: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
      linked[owner] = { leadId, contactId, conversationId, messageId, emailId, meetingId };
    }
    await addContact(null);
    await addConversation(null);
    const pointedAt = await addContact(null);
    await db.updateTable('leads').set({ contact_id: pointedAt }).where('id', '=', leads.B[1]!).execute();
    const ownersNow = async (leadIds: (string | null)[]): Promise<Owner[]> => {
      const ids = leadIds.filter((id): id is string => id !== null);
      const rows = ids.length
        ? await db.selectFrom('leads').select(['id', 'assigned_agent_id']).where('id', 'in', ids).execute()
        : [];
      expect(rows.length, `leads ${ids.join(', ')} exist`).toBe(ids.length);
      return [
        ...(leadIds.includes(null) ? (['none'] as const) : []),
        ...rows.map(({ assigned_agent_id }) =>
          assigned_agent_id === agentA ? 'A' : assigned_agent_id === agentB ? 'B' : 'none',
        ),
      ];
    };

    world = {
      key,
      agents,
      newLead: (owner) => newLead(owner, ['fresh']),
      importCsv,
      leads,
      ownerOf,
      cohortId,
      emptyCohortId,
      distributionRef: started.ref,
      importsBy,
      userIds,
      db,
      linked,
      contactOfBsLead: pointedAt,
      templateId,
      ownersNow,
      addContact,
      addConversation,
    };

    const doc = (await t.request<any>('/api/openapi.json')).body;
    operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => leadPermissions.has(op?.['x-permission']))
        .map(([method, op]) => {
          const key = `${method.toUpperCase()} ${path}`;
          permissionOf.set(key, op['x-permission']);
          return key;
        }),
    );
  }, 300_000);
  afterAll(() => t?.close());

  it('has an entry for every operation with a lead permission (or awaits linked-record visibility)', () => {
    expect(operations.length).toBeGreaterThan(30);
    const covered = new Set([...Object.keys(matrix), ...awaitingLinkedRecordVisibility]);
    expect(
      operations.filter((op) => !covered.has(op)),
      'operations without a matrix entry',
    ).toEqual([]);
    // Entries of operations that no longer exist, and double listings, fail too.
    expect(
      [...covered].filter((op) => !operations.includes(op)),
      'entries of no operation',
    ).toEqual([]);
    expect(awaitingLinkedRecordVisibility.filter((op) => op in matrix)).toEqual([]);
  });

  it('leaks 0 rows across the matrix, answers invisible ids 404 and changes nothing through them', async () => {
    const leaks: string[] = [];
    let checks = 0;
    const snapshot = async (id: string) => {
      const lead = await world.key.get(`/leads/${id}`);
      const activity = await world.key.get(`/leads/${id}/activity?limit=100`);
      return { lead: lead.body, activity: activity.body };
    };
    const ownerByAgent = (agentId: string | null): Owner =>
      agentId === world.agents.A ? 'A' : agentId === world.agents.B ? 'B' : 'none';
    const notFound = (res: TestResponse) => res.status === 404 && res.body?.error?.code === 'not_found';

    for (const op of operations) {
      const entry = matrix[op];
      if (!entry) continue; // awaiting: reported by the test above
      for (const caller of callers) {
        const visible = sees[caller.name];
        const leak = (n: number, what: string) => {
          if (n > 0) leaks.push(`${op} as ${caller.name}: ${what}`);
        };
        const label = `${op} as ${caller.name}`;
        if (
          entry.kind !== 'custom' &&
          entry.kind !== 'noLeadRecords' &&
          lacks[caller.name].includes(permissionOf.get(op)!)
        ) {
          // A role without the route's permission is refused before any record is looked at.
          const [method, path] = op.split(' ') as [string, string];
          const url = path.replace('/api/crm', '').replace(/\{[^}]+\}/g, world.leads.A[0]!);
          const res = await caller.client.send(method, url, method === 'GET' ? undefined : {});
          checks++;
          expect(res.status, `${label}: ${res.text}`).toBe(403);
          continue;
        }
        if (entry.kind === 'list') {
          for (const url of entry.urls(world)) {
            const res = await caller.client.get(url);
            expect(res.status, `${label} ${url}: ${res.text}`).toBe(200);
            const { items, total } = res.body.data as { items: any[]; total?: number };
            for (const row of items) {
              checks++;
              if (entry.rowOwners) {
                // A linked record: visible through one of its leads (their owners now).
                const through = await entry.rowOwners(world, row);
                if (!through.some((owner) => visible.includes(owner)))
                  leak(1, `${url} lists ${row.id}, visible through ${through.join(', ')} only`);
                continue;
              }
              // A lead row by its owner now (writes move leads); an outcome by its lead's fixture owner.
              const owner = entry.rowLeadId
                ? world.ownerOf.get(entry.rowLeadId(row))
                : ownerByAgent(row.assignedAgentId);
              expect(owner, `${label} ${url}: a row of no known lead`).toBeDefined();
              if (!visible.includes(owner!)) leak(1, `${url} lists a lead of ${owner}`);
            }
            if (total !== undefined && items.length < 200) {
              expect(total, `${label} ${url}: total counts visible leads only`).toBe(items.length);
            }
            // The lists are not trivially empty: the caller's own fixtures show.
            if (entry.shows && url === entry.urls(world)[0]) {
              const ids = items.map((row) => row.id);
              for (const owner of visible)
                expect(ids, `${label} ${url}`).toEqual(expect.arrayContaining(entry.shows(world, owner)));
            }
            if (url === '/leads?limit=200&tags=matrix&archived=false') {
              for (const owner of visible)
                expect(items.map((row) => row.id)).toEqual(expect.arrayContaining(world.leads[owner]));
            }
          }
          // Cursor mode: walk pages of 2 and count again.
          if (op === 'GET /api/crm/leads') {
            let cursor: string | null = null;
            let pages = 0;
            do {
              const url: string = `/leads?limit=2&sort=ref&order=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
              const res = await caller.client.get(url);
              expect(res.status, res.text).toBe(200);
              for (const row of res.body.data.items) {
                checks++;
                const owner = ownerByAgent(row.assignedAgentId);
                if (!visible.includes(owner)) leak(1, `cursor page lists a lead of ${owner}`);
              }
              cursor = res.body.data.nextCursor;
            } while (cursor && ++pages < 200);
          }
        } else if (entry.kind === 'read') {
          for (const owner of owners) {
            checks++;
            const res = await caller.client.get(await entry.url(world, owner));
            if (visible.includes(owner)) expect(res.status, `${label} of ${owner}: ${res.text}`).toBe(200);
            else if (!notFound(res)) leak(1, `read of ${owner}'s: ${res.status}`);
          }
        } else if (entry.kind === 'write') {
          for (const owner of owners) {
            checks++;
            const { id } = await world.newLead(owner);
            const recordId = entry.prepare ? await entry.prepare(world, id) : id;
            const state = async () => ({
              ...(await snapshot(id)),
              record: await entry.state?.(world, id, recordId),
            });
            const before = await state();
            const { url, body } = entry.request(world, id, recordId);
            const method = op.split(' ')[0]!;
            const res = await caller.client.send(method, url, body);
            if (visible.includes(owner)) {
              expect(res.status, `${label} of ${owner}: ${res.text}`).not.toBe(404);
              expect(res.status, `${label} of ${owner}: ${res.text}`).toBeLessThan(500);
              // A write done (not refused for want of a channel) changes what it names.
              if (entry.state && res.status < 300)
                expect(await state(), `${label} of ${owner}: changed`).not.toEqual(before);
            } else {
              if (!notFound(res)) leak(1, `write on ${owner}'s: ${res.status} ${res.text}`);
              expect(await state(), `${label}: ${owner}'s lead and record unchanged`).toEqual(before);
            }
          }
        } else if (entry.kind === 'bulk') {
          const fresh = await Promise.all(owners.map((owner) => world.newLead(owner)));
          const befores = await Promise.all(fresh.map(({ id }) => snapshot(id)));
          const res = await caller.client.post(
            entry.path,
            entry.body(
              world,
              fresh.map(({ id }) => id),
            ),
          );
          expect(res.status, `${label}: ${res.text}`).toBe(200);
          const results = res.body.data.results as {
            id: string;
            ok: boolean;
            error?: { code: string; message: string };
          }[];
          for (const [i, owner] of owners.entries()) {
            checks++;
            const result = results.find((r) => r.id === fresh[i]!.id)!;
            if (visible.includes(owner)) continue;
            if (result.ok || result.error?.code !== 'not_found' || result.error.message !== 'Lead not found')
              leak(1, `bulk result for ${owner}'s: ${JSON.stringify(result)}`);
            expect(await snapshot(fresh[i]!.id), `${label}: ${owner}'s lead unchanged`).toEqual(befores[i]);
          }
        } else if (entry.kind === 'custom') {
          checks++;
          await entry.run(world, caller, leak);
        }
      }
    }
    expect(checks).toBeGreaterThan(300);
    expect(leaks, 'rows and records leaked across the matrix').toEqual([]);
    expect(leaks.length).toBe(0);
    // Hundreds of requests: minutes on PGlite on a loaded machine (a bound, not a timing assertion).
  }, 600_000);

  it('lets a manager assign only among their team, and an agent not at all', async () => {
    const [manager, agentA] = [
      callers.find((c) => c.name === 'manager')!,
      callers.find((c) => c.name === 'agentA')!,
    ];
    const { id } = await world.newLead('A');
    // To B (outside the team): 403; to nobody (the unassigned pool): 403; to A: fine.
    expect((await manager.client.patch(`/leads/${id}`, { assignedAgentId: world.agents.B })).status).toBe(
      403,
    );
    expect((await manager.client.patch(`/leads/${id}`, { assignedAgentId: null })).status).toBe(403);
    expect((await agentA.client.patch(`/leads/${id}`, { assignedAgentId: world.agents.B })).status).toBe(403);
    expect(dataOf(await world.key.get(`/leads/${id}`)).assignedAgentId).toBe(world.agents.A);
    // The agent changes their own lead's other fields.
    expect(dataOf(await agentA.client.patch(`/leads/${id}`, { city: 'Pune' })).city).toBe('Pune');
  });
});
