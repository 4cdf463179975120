-- An email written in place (an automation's send_email action) instead of from a template:
-- its final subject and plain-text body, sent as they are.
alter table email_messages add column subject text;
alter table email_messages add column body_text text;
alter table email_messages add constraint email_messages_content_check
  check ((subject is null) = (body_text is null));
