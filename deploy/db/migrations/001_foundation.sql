-- 001_foundation: regions, departments, principals and their CURVE keys, policy parameters,
-- and the event outbox. Every large table carries county_code (the distribution column for a
-- distributed engine later). Applied once, in order, under an advisory lock (common/migrate.c).

-- National statistical division codes (统计用区划代码), stored in their published short form:
-- 2 digits province, 4 city/prefecture, 6 county, 9 township, 12 village. A code's prefix is
-- its parent, so "everything in county 130822" is code LIKE '130822%'.
-- Codes use the "C" collation so that the primary key's btree also serves prefix searches
-- (code LIKE '130822%' and code >= '130822' AND code < '130823'): no second index to maintain.
CREATE TABLE regions (
    code        varchar(12) COLLATE "C" PRIMARY KEY
                CHECK (code ~ '^[0-9]+$' AND length(code) IN (2, 4, 6, 9, 12)),
    level       smallint NOT NULL CHECK (level BETWEEN 1 AND 5), -- 1 province .. 5 village
    name        text NOT NULL,
    parent      varchar(12) COLLATE "C" CHECK (parent IS NULL OR left(code, length(parent)) = parent),
    county_code varchar(6) CHECK (county_code IS NULL OR left(code, 6) = county_code),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX regions_parent ON regions (parent);

-- County line departments (行业部门). One row per department per county.
CREATE TABLE departments (
    county_code varchar(6) NOT NULL,
    code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name_zh     text NOT NULL,
    name_en     text NOT NULL,
    PRIMARY KEY (county_code, code)
);

-- Who may talk to the services. A principal is a department, an actor (a cadre at a level and
-- a region), the county's self-report gateway, or an administrator. Its id is what ZAP hands
-- the service as the User-Id of every message.
CREATE TABLE principals (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z]+:[A-Za-z0-9_.:-]{1,120}$'),
    kind            text NOT NULL CHECK (kind IN ('department', 'actor', 'gateway', 'admin')),
    display_name    text NOT NULL,
    level           text CHECK (level IN ('village', 'township', 'county', 'prefecture', 'province')),
    region_code     varchar(12) NOT NULL CHECK (region_code ~ '^[0-9]+$'),
    department_code text,
    county_code     varchar(6),
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    CHECK (kind <> 'department' OR department_code IS NOT NULL),
    CHECK (kind <> 'actor' OR level IS NOT NULL)
);

-- CURVE public keys (Z85, 40 characters), each belonging to one principal.
CREATE TABLE curve_keys (
    public_key   char(40) PRIMARY KEY,
    principal_id text NOT NULL REFERENCES principals (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz
);
CREATE INDEX curve_keys_principal ON curve_keys (principal_id);

-- Policy parameters: never constants. Each has a province ('00' = national default) and the
-- date it takes effect; a rule reads the value in force on the date of the event it judges
-- (the row with the greatest effective_from <= that date, the province's before national).
CREATE TABLE policy_params (
    name           text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    province_code  varchar(2) NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    effective_from date NOT NULL,
    value          numeric NOT NULL,
    unit           text NOT NULL,
    source         text NOT NULL,   -- where the value comes from (seed, document)
    PRIMARY KEY (name, province_code, effective_from)
);

INSERT INTO policy_params (name, province_code, effective_from, value, unit, source) VALUES
  ('monitoring_line_yuan', '00', '2021-01-01', 6000, 'yuan/person/year', 'default where a province has no row: the 6000 yuan of seed 000 before Oct 2021'),
  ('monitoring_line_yuan', '13', '2021-01-01', 6000, 'yuan/person/year', 'seed 000 (Hebei): 6000 yuan'),
  ('monitoring_line_yuan', '13', '2021-10-01', 6600, 'yuan/person/year', 'seed 000 (Hebei): 6600 yuan from October 2021'),
  ('monitoring_line_yuan', '53', '2023-01-01', 8050, 'yuan/person/year', 'DOMAIN.md: Yunnan 2023'),
  ('monitoring_line_yuan', '53', '2025-01-01', 8700, 'yuan/person/year', 'DOMAIN.md: Yunnan 2025'),
  ('notice_days', '00', '2020-01-01', 5, 'days', 'seed 000: public notice at least 5 days'),
  ('decision_days', '00', '2020-01-01', 15, 'days', 'seed 000: 15 days from lead to decision'),
  ('lead_push_day', '00', '2020-01-01', 5, 'day of month', 'seed 004 §(二): departments push by the 5th'),
  ('township_report_day', '00', '2020-01-01', 20, 'day of month', 'seed 004: townships report by the 20th'),
  ('county_report_day', '00', '2020-01-01', 25, 'day of month', 'seed 004: counties report by the 25th'),
  ('quarter_report_working_days', '00', '2020-01-01', 5, 'working days', 'DOMAIN.md: within 5 working days of a quarter'),
  ('elimination_min_months', '00', '2020-01-01', 6, 'months', 'seed 004 §(四): at least 6 months since identification');

-- The event outbox. Services insert here in the transaction that makes the change; the
-- reporting service's relay gives each row a gap-free published position in commit order
-- (a bigserial id is not commit order: see docs/architecture.md). No ID numbers in payloads.
CREATE TABLE events (
    id           bigserial PRIMARY KEY,
    county_code  varchar(6) NOT NULL,
    region_code  varchar(12) COLLATE "C" NOT NULL CHECK (region_code ~ '^[0-9]{12}$'),
    type         text NOT NULL CHECK (type ~ '^[a-z]+(\.[a-z_]+)+$'),
    payload      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    position     bigint UNIQUE,
    published_at timestamptz
);
CREATE INDEX events_unpublished ON events (id) WHERE position IS NULL;
-- Replay by region reads published events only; writers do not pay for this index.
CREATE INDEX events_region_position ON events (region_code, position) WHERE position IS NOT NULL;
