-- 028_compare: data comparison with departments (数据比对, issue 14; docs/compare.md). A
-- department compares the county's ledger with its own records: it exports the ledger slice it
-- may compare (compare_columns: the columns of each department, documented per department), every
-- export audited (compare_exports: who, when, which county, which columns, how many rows, why),
-- and answers with a file whose facts are kept dated per person (dept_facts), one batch once
-- (compare_batches). The data-quality rules Q094-Q096 read these facts (compare_fact(),
-- deploy/db/functions/compare.sql): a difference that matters is a finding of the village.

-- The ledger columns each department may compare. column_name is one of the columns
-- compare_slice() knows; position orders the export's columns.
CREATE TABLE compare_columns (
    department_code text NOT NULL REFERENCES department_types (code),
    column_name     text NOT NULL CHECK (column_name IN ('name', 'id_number', 'village_code', 'household_no',
                        'relation', 'household_type', 'birth_date', 'insured', 'schooling', 'dibao_yuan',
                        'tekun_yuan', 'housing_ok')),
    position        integer NOT NULL,
    PRIMARY KEY (department_code, column_name),
    UNIQUE (department_code, position)
);
INSERT INTO compare_columns (department_code, column_name, position) VALUES
  ('yibao', 'name', 1), ('yibao', 'id_number', 2), ('yibao', 'village_code', 3), ('yibao', 'insured', 4),
  ('minzheng', 'name', 1), ('minzheng', 'id_number', 2), ('minzheng', 'village_code', 3),
  ('minzheng', 'household_no', 4), ('minzheng', 'relation', 5), ('minzheng', 'dibao_yuan', 6),
  ('minzheng', 'tekun_yuan', 7),
  ('zhujian', 'name', 1), ('zhujian', 'id_number', 2), ('zhujian', 'village_code', 3),
  ('zhujian', 'household_no', 4), ('zhujian', 'relation', 5), ('zhujian', 'housing_ok', 6),
  ('jiaoyu', 'name', 1), ('jiaoyu', 'id_number', 2), ('jiaoyu', 'village_code', 3),
  ('jiaoyu', 'birth_date', 4), ('jiaoyu', 'schooling', 5);

-- One export: written when its first page is read, before any row leaves; rows is the size of
-- the slice then, pages and rows_sent what was read so far.
CREATE TABLE compare_exports (
    id              bigserial PRIMARY KEY,
    county_code     varchar(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    department_code text NOT NULL REFERENCES department_types (code),
    sender          text NOT NULL,               -- the principal whose key asked
    reason          text NOT NULL CHECK (reason <> ''),
    columns         text[] NOT NULL CHECK (cardinality(columns) > 0),
    rows            bigint NOT NULL,
    pages           integer NOT NULL DEFAULT 0,
    rows_sent       bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_page_at    timestamptz
);
CREATE INDEX compare_exports_county ON compare_exports (county_code, department_code, id);

-- One answer batch of a department: sent once; the same batch id again is answered with the
-- stored counts and writes nothing.
CREATE TABLE compare_batches (
    county_code     varchar(6) NOT NULL,
    department_code text NOT NULL,
    batch_id        text NOT NULL,
    export_id       bigint NOT NULL REFERENCES compare_exports (id),
    sender          text NOT NULL,
    answers         integer NOT NULL,
    matched         integer NOT NULL,             -- answers about a person in the ledger
    facts           integer NOT NULL,             -- facts stored (a fact already known that day is not)
    quality_run     bigint,                       -- the run of Q094-Q096 after it
    findings_opened integer NOT NULL DEFAULT 0,   -- the findings that run opened
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, department_code, batch_id)
);

-- What a department says about a person (id_hmac: the ID number's keyed hash), as of a day.
-- fact: yibao insured (yes/no), insured_on (YYYY-MM-DD); minzheng dibao (yes/no), dibao_fen (fen).
CREATE TABLE dept_facts (
    county_code     varchar(6) NOT NULL,
    id_hmac         bytea NOT NULL,
    department_code text NOT NULL,
    fact            text NOT NULL CHECK (fact IN ('insured', 'insured_on', 'dibao', 'dibao_fen')),
    value           text NOT NULL,
    as_of           date NOT NULL,
    export_id       bigint NOT NULL REFERENCES compare_exports (id),
    batch_id        text NOT NULL,
    PRIMARY KEY (county_code, id_hmac, department_code, fact, as_of)
);

ALTER TABLE quality_runs DROP CONSTRAINT quality_runs_reason_check;
ALTER TABLE quality_runs ADD CONSTRAINT quality_runs_reason_check
    CHECK (reason IN ('on_demand', 'ledger_import', 'nightly', 'compare_import'));

INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q094', 'health', 'error', 'person', '{lifted,monitored}', '医保部门比对为未参保的脱贫人口或监测对象',
   'medical insurance (医保) says a member of a lifted or monitored household is not insured',
   $c$compare_fact($1, id_hmac, 'yibao', 'insured') = 'no'$c$, '{}',
   ARRAY['insured', $f$yibao_insured=compare_fact($1, id_hmac, 'yibao', 'insured')$f$],
   'issue 14; 数据比对 (医保): 基本医疗有保障'),
  ('Q095', 'health', 'warning', 'person', '{general,lifted,monitored}', '台账为未参保但医保部门比对为已参保',
   'the ledger says not insured while medical insurance (医保) says insured',
   $c$NOT insured AND compare_fact($1, id_hmac, 'yibao', 'insured') = 'yes'$c$, '{}',
   ARRAY['insured', $f$yibao_insured=compare_fact($1, id_hmac, 'yibao', 'insured')$f$],
   'issue 14; 数据比对 (医保): the ledger is corrected'),
  ('Q096', 'income', 'warning', 'person', '{general}', '民政部门比对为低保对象但户未纳入监测',
   'civil affairs (民政) says the person receives 低保 while the household is neither lifted nor monitored',
   $c$compare_fact($1, id_hmac, 'minzheng', 'dibao') = 'yes'$c$, '{}',
   ARRAY['household_type', $f$minzheng_dibao=compare_fact($1, id_hmac, 'minzheng', 'dibao')$f$],
   'issue 14; 数据比对 (民政): 低保户 are checked for monitoring');

-- An export leaves a trace in the event stream too: who asked, for how many rows, never a person.
INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('compare.exported', 'intake', 'county', 'a department began an export of the ledger slice it compares (数据比对): personal data left the system, audited in compare_exports');
INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('compare.exported', 'export_id', 1, true, 'the export''s id (compare_exports.id)'),
  ('compare.exported', 'department', 2, true, 'the department''s code (department_types.code)'),
  ('compare.exported', 'columns', 3, true, 'the columns exported (compare_columns.column_name), in order'),
  ('compare.exported', 'rows', 4, true, 'the rows of the slice when the export began');
