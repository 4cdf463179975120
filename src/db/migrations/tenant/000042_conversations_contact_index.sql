-- A WhatsApp action picks the most recent conversation with its recipient (`wa_id`). The only
-- index with `wa_id` starts with `phone_number_id`, so each send read every conversation of
-- the tenant; this one answers it with one probe.
create index conversations_contact_idx on conversations (wa_id, last_message_at desc nulls last, created_at desc);
