-- 003_screening_receipt: which screening worker received each lead, and when. Screening claims
-- unscreened leads with FOR UPDATE SKIP LOCKED, so several workers share the load and none
-- takes a lead twice; a worker that was down catches up from leads_unscreened.
ALTER TABLE leads ADD COLUMN screened_by text;
