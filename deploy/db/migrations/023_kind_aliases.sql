-- Lead kinds by name (issue 20): a department's file names a kind by its code, by its Chinese
-- name in lead_kinds, or by an alias its county added for that department here (fangpinctl
-- kinds alias add). `norm` is the alias as domain/kindname.c normalises it (full-width to
-- ASCII, lower-case, no spaces, no punctuation), which is what intake compares; one
-- normalised alias per county and department. fangpinctl refuses an alias that normalises to
-- another kind's code or name, or to an alias of another kind.
CREATE TABLE kind_aliases (
    county_code     varchar(6) NOT NULL,
    department_code text NOT NULL,
    alias           text NOT NULL CHECK (alias <> ''),
    norm            text NOT NULL CHECK (norm <> ''),
    kind            text NOT NULL REFERENCES lead_kinds (code),
    added_by        text NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, department_code, norm),
    FOREIGN KEY (county_code, department_code) REFERENCES departments (county_code, code)
);

-- The answer of each line now says which kind it resolved to: intake_apply and
-- intake_batch_results return a kind column (functions/intake.sql makes them again).
DROP FUNCTION IF EXISTS intake_apply(text, text, text, text, text, text, text, date);
DROP FUNCTION IF EXISTS intake_batch_results(text, text);
