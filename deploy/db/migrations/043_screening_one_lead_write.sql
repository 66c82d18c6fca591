-- Screening writes each claimed lead once per batch (issue 18): the claim only locks the batch's
-- leads, and screen_match() marks them screened (screened_at, screened_by) in the same UPDATE
-- that sets their status. screen_match takes the worker's name as a second argument: a new
-- signature, so the old function goes and deploy/db/functions/screening.sql makes the new one.
DROP FUNCTION IF EXISTS screen_match(bigint[]);
