-- What Meta's template webhooks tell between syncs: the reason and details of the last status
-- change, the quality score, and when a webhook last set the status (a sync whose listing
-- started earlier keeps that status instead of its older copy).
alter table whatsapp_templates
  add column status_reason text,
  add column status_info jsonb,
  add column quality_score text,
  add column status_webhook_at timestamptz;
create index whatsapp_templates_template_id_idx on whatsapp_templates (template_id);
