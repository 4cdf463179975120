import type { ColumnType, Generated } from 'kysely';
import type { Actor } from '../auth/access.js';
import type { ComputedLine, PaymentType } from './totals.js';

export type QuotationStatus = 'draft' | 'shared' | 'accepted' | 'rejected' | 'expired';
export type { PaymentType };

/** A bigint column: read as a string by the pg driver. */
type BigintColumn = ColumnType<string, string | number | bigint, string | number | bigint>;

export interface QuotationsTable {
  id: Generated<string>;
  number: Generated<string>;
  deal_id: string;
  status: Generated<QuotationStatus>;
  currency: string;
  current_version: Generated<number>;
  expires_at: Date | null;
  shared_at: Date | null;
  accepted_at: Date | null;
  rejected_at: Date | null;
  expired_at: Date | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface QuotationVersionsTable {
  quotation_id: string;
  version: number;
  lines: ColumnType<ComputedLine[], string, string>;
  subtotal: BigintColumn;
  discount_total: BigintColumn;
  tax_total: BigintColumn;
  total: BigintColumn;
  payment_type: PaymentType;
  prepaid_amount: BigintColumn;
  cod_amount: BigintColumn;
  notes: string | null;
  terms: string | null;
  actor: string | null;
  actor_type: Actor['type'] | null;
  actor_id: string | null;
  created_at: Generated<Date>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface QuotationsTables {
  quotations: QuotationsTable;
  quotation_versions: QuotationVersionsTable;
}

declare module '../db/tenant-database.js' {
  interface TenantDatabase extends QuotationsTables {}
}
