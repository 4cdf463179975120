import type { Visibility } from '../auth/access.js';
import type { TenantDb } from '../db/tenant-database.js';
import { dealRef, selectDeals } from '../deals/index.js';
import type { Keyset } from '../http/pagination.js';
import type { Quotation, QuotationVersion } from './quotation.schemas.js';
import type { PaymentType, QuotationStatus } from './quotations.tables.js';
import type { ComputedLine } from './totals.js';

export const quotationRef = (number: string | number) => `Q-${number}`;

/** A quotation with its deal's owner and lead and its current version's columns. */
export interface QuotationRow extends VersionColumns {
  id: string;
  number: string;
  deal_id: string;
  status: QuotationStatus;
  currency: string;
  current_version: number;
  expires_at: Date | null;
  shared_at: Date | null;
  accepted_at: Date | null;
  rejected_at: Date | null;
  expired_at: Date | null;
  created_at: Date;
  updated_at: Date;
  deal_number: string;
  deal_title: string;
  owner_agent_id: string | null;
  lead_id: string | null;
  contact_id: string | null;
  pipeline_id: string;
  version_actor: string | null;
  version_created_at: Date;
  version_updated_at: Date;
}

/**
 * Quotations whose deal `visibility` reaches (the deals' own visibility filter: a quotation is
 * seen exactly when its deal is), with the deal's owner and the current version joined.
 */
export function selectQuotations(db: TenantDb, visibility: Visibility) {
  return db
    .selectFrom('quotations')
    .innerJoin('deals', 'deals.id', 'quotations.deal_id')
    .innerJoin('quotation_versions as v', (join) =>
      join
        .onRef('v.quotation_id', '=', 'quotations.id')
        .onRef('v.version', '=', 'quotations.current_version'),
    )
    .selectAll('quotations')
    .select([
      'deals.number as deal_number',
      'deals.title as deal_title',
      'deals.owner_agent_id',
      'deals.lead_id',
      'deals.contact_id',
      'deals.pipeline_id',
      'v.version',
      'v.lines',
      'v.subtotal',
      'v.discount_total',
      'v.tax_total',
      'v.total',
      'v.payment_type',
      'v.prepaid_amount',
      'v.cod_amount',
      'v.notes',
      'v.terms',
      'v.actor as version_actor',
      'v.created_at as version_created_at',
      'v.updated_at as version_updated_at',
    ])
    .where('quotations.deal_id', 'in', selectDeals(db, visibility).clearSelect().select('deals.id'));
}

/** A quotation by uuid or reference (`Q-3`) among those `visibility` reaches. */
export async function findQuotationRow(
  db: TenantDb,
  visibility: Visibility,
  idOrRef: string,
): Promise<QuotationRow | undefined> {
  const ref = /^Q-(\d{1,15})$/i.exec(idOrRef);
  const query = selectQuotations(db, visibility);
  const row = await (
    ref ? query.where('quotations.number', '=', ref[1]!) : query.where('quotations.id', '=', idOrRef)
  ).executeTakeFirst();
  return row as QuotationRow | undefined;
}

/** A deal's quotations, newest first. */
export const quotationsKeyset: Keyset = {
  list: 'quotations',
  columns: [
    ['quotations.created_at', 'timestamp'],
    ['quotations.id', 'uuid'],
  ],
  direction: 'desc',
};

const percentOf = (bp: number) => bp / 100;

interface VersionColumns {
  version: number;
  lines: ComputedLine[];
  subtotal: string;
  discount_total: string;
  tax_total: string;
  total: string;
  payment_type: PaymentType;
  prepaid_amount: string;
  cod_amount: string;
  notes: string | null;
  terms: string | null;
}

export function toVersion(
  row: VersionColumns,
  meta: { actor: string | null; created_at: Date; updated_at: Date },
): QuotationVersion {
  return {
    version: row.version,
    lines: row.lines.map((line) => ({
      name: line.name,
      sku: line.sku,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      discountPercent: percentOf(line.discountBp),
      taxPercent: percentOf(line.taxBp),
      gross: line.gross,
      discount: line.discount,
      net: line.net,
      tax: line.tax,
      total: line.total,
    })),
    subtotal: Number(row.subtotal),
    discountTotal: Number(row.discount_total),
    taxTotal: Number(row.tax_total),
    total: Number(row.total),
    payment: {
      type: row.payment_type,
      prepaidAmount: Number(row.prepaid_amount),
      codAmount: Number(row.cod_amount),
    },
    notes: row.notes,
    terms: row.terms,
    createdBy: meta.actor,
    createdAt: meta.created_at,
    updatedAt: meta.updated_at,
  };
}

export function toQuotation(row: QuotationRow): Quotation {
  return {
    id: row.id,
    ref: quotationRef(row.number),
    dealId: row.deal_id,
    dealRef: dealRef(row.deal_number),
    status: row.status,
    currency: row.currency,
    currentVersion: row.current_version,
    expiresAt: row.expires_at,
    sharedAt: row.shared_at,
    acceptedAt: row.accepted_at,
    rejectedAt: row.rejected_at,
    expiredAt: row.expired_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    current: toVersion(row, {
      actor: row.version_actor,
      created_at: row.version_created_at,
      updated_at: row.version_updated_at,
    }),
  };
}

/** One version of a quotation (any, old ones too). */
export async function findVersion(db: TenantDb, quotationId: string, version: number) {
  const row = await db
    .selectFrom('quotation_versions')
    .selectAll()
    .where('quotation_id', '=', quotationId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row && toVersion(row, row);
}
