-- 033_compare_rules_due: the rules an import's last batch makes due (docs/compare.md, "When the
-- rules run"). A county-wide run of a department's rules over a million persons takes longer than
-- a request may (FANGPIN_DB_STATEMENT_TIMEOUT_MS), so the last batch records that they are due,
-- in the transaction that stores its facts, and the assistance service runs them in a transaction
-- of its own (compare_rules_run_next). The row is the record: nothing is lost when a service stops
-- between the facts' commit and the run; the run is made after a restart.

CREATE TABLE compare_rules_due (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL,
    department_code text NOT NULL,
    batch_id        text NOT NULL,   -- the batch that made them due (compare_batches)
    as_of           date NOT NULL,   -- the day the run evaluates (the batch's day)
    sender          text NOT NULL,
    queued_at       timestamptz NOT NULL DEFAULT now(),
    quality_run     bigint REFERENCES quality_runs (id),
    done_at         timestamptz,
    UNIQUE (county_code, department_code, batch_id)
);
CREATE INDEX compare_rules_due_open ON compare_rules_due (id) WHERE done_at IS NULL;

-- compare_answers_apply answers whether the rules are still due (queued).
DROP FUNCTION IF EXISTS compare_answers_apply(text, text, text, text, bigint, date, integer, bytea[], text[], text[],
                                              text, boolean);

-- An export's pages in the tables' order (household, then person: the order the ledger is loaded
-- in) rather than by id_hmac, which is random against the heap: past shared_buffers nearly every
-- row of a page was a buffer miss. The cursor (next_after) names the household and the person.
CREATE INDEX ledger_members_compare ON ledger_members (county_code, household_no, id_hmac) WHERE left_on IS NULL;
DROP FUNCTION IF EXISTS compare_page(text, bigint, bytea, integer);
