-- 008_death_leads: a public-security death lead (gongan.member_death) updates the ledger too
-- (docs/ledger.md "Deaths reported by public security"). screen_match() (deploy/db/functions/
-- screening.sql) gained one step, in the same transaction as the match:
-- the matched member gets left_on = the lead's occurred_on and left_reason 'death:lead:<id>',
-- and ledger_events gets one 'death' row (event_on = occurred_on, source 'lead:<id>'). Only a
-- present member is updated and a death is recorded once, so a lead processed again, or the
-- same death pushed again in a later batch, adds nothing. The facts it returns also carry the
-- rules' ratios in force for the case (policy parameters rigid_ratio_pct and
-- monitor_upper_ratio_pct, 009_case_params.sql), so the result type changed: the function as
-- an older fangpin made it goes, and the functions files make it again after the migrations.

DROP FUNCTION IF EXISTS screen_match(bigint[]);
