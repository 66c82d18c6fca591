-- 021_received_on: the day a batch and its leads were received, as the service counted days.
-- The reports compare it with their as-of day, which is the service's today (FANGPIN_TODAY in a
-- demo or a test, else the real date in China): received_at is the database's clock and cannot
-- be compared with that day. intake_apply() takes the day from intake (p_today) and stores it in
-- both tables; rows received before this migration, and rows written by other means than
-- intake_apply(), get the China date of their received_at (the database's clock, as before).
ALTER TABLE lead_batches ADD COLUMN received_on date;
UPDATE lead_batches SET received_on = (received_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE lead_batches ALTER COLUMN received_on SET NOT NULL,
    ALTER COLUMN received_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;

ALTER TABLE leads ADD COLUMN received_on date;
UPDATE leads SET received_on = (received_at AT TIME ZONE 'Asia/Shanghai')::date;
ALTER TABLE leads ALTER COLUMN received_on SET NOT NULL,
    ALTER COLUMN received_on SET DEFAULT (now() AT TIME ZONE 'Asia/Shanghai')::date;

-- intake_apply() takes the receiving day: deploy/db/functions/intake.sql makes the new one.
DROP FUNCTION IF EXISTS intake_apply(text, text, text, text, text, text, text);
