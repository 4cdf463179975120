-- A campaign is complete when none of its recipients is still queued: this makes that check
-- (run after each recipient's outcome) a probe instead of a walk over every recipient.
create index email_messages_campaign_queued_idx on email_messages (campaign_id) where status = 'queued';
