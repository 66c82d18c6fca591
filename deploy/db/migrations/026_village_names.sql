-- Villages by name (issue 20): a lead's village may be given by its township and village names or
-- by an address (domain/villagename.c, matched by intake against the region table of the sender's
-- county; no table of its own). The answer of each line now also says which village it resolved
-- to: intake_apply and intake_batch_results return a village column after kind, and the stored
-- results (lead_batches.results) an eighth field (functions/intake.sql makes them again).
DROP FUNCTION IF EXISTS intake_apply(text, text, text, text, text, text, text, date);
DROP FUNCTION IF EXISTS intake_batch_results(text, text);
