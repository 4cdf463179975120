-- Set just before a message is handed to the SMTP server, cleared when the server refuses it. A
-- run that finds it set follows one that died mid-send (the message may have been delivered), so
-- the message ends failed instead of going out twice: sends are at most once.
alter table email_messages add column send_started_at timestamptz(3);
