-- Column profiles (issue 20): how a department's export file is laid out, registered once by
-- name (fangpinctl profile add; docs/push.md "Column profiles") and fetched by the department's
-- push through intake (GetPushProfile), since a department's PC reaches intake, not the
-- database. `body` is the profile's text as fangpinctl checked it (common/profile.c). Each add
-- of a name its department has is a new version; old versions stay readable. Remove retires the
-- name: every version gets retired_at, push refuses it, show still reads it; a later add makes
-- a new, live version.
CREATE TABLE push_profiles (
    county_code     varchar(6) NOT NULL,
    department_code text NOT NULL,
    name            text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    version         integer NOT NULL CHECK (version >= 1),
    body            text NOT NULL CHECK (body <> '' AND length(body) <= 65536),
    added_by        text NOT NULL,
    added_at        timestamptz NOT NULL DEFAULT now(),
    retired_by      text,
    retired_at      timestamptz,
    PRIMARY KEY (county_code, department_code, name, version),
    FOREIGN KEY (county_code, department_code) REFERENCES departments (county_code, code)
);
