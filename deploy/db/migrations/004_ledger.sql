-- 004_ledger: the rural population ledger (乡村人口台账): households, their members and the
-- natural changes (自然增减) between quarterly censuses (摸底排查). Loaded by
-- `fangpinctl ledger import` (docs/ledger.md). Personal data (names, ID numbers, health) lives
-- in these tables only, never in the event outbox. Every table carries county_code, the
-- distribution column, first in each key.

CREATE TABLE ledger_households (
    county_code      varchar(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    household_no     varchar(32) COLLATE "C" NOT NULL CHECK (household_no ~ '^[0-9A-Za-z-]{1,32}$'),
    village_code     varchar(12) COLLATE "C" NOT NULL
                     CHECK (village_code ~ '^[0-9]{12}$' AND left(village_code, 6) = county_code),
    household_type   text NOT NULL CHECK (household_type IN ('general', 'lifted', 'monitored')),
    monitored_kind   text CHECK (monitored_kind IN ('unstable_lifted', 'marginal', 'sudden_hardship')),
    head_name        text NOT NULL,
    -- income of the 12 months before the survey, in fen (docs/policy.md, "The income method")
    wage_fen             bigint NOT NULL DEFAULT 0 CHECK (wage_fen >= 0),  -- all wages, public jobs included
    wage_public_job_fen  bigint NOT NULL DEFAULT 0 CHECK (wage_public_job_fen BETWEEN 0 AND wage_fen), -- of which
    operating_fen        bigint NOT NULL DEFAULT 0 CHECK (operating_fen >= 0),
    property_fen         bigint NOT NULL DEFAULT 0 CHECK (property_fen >= 0),
    pension_fen          bigint NOT NULL DEFAULT 0 CHECK (pension_fen >= 0),
    family_planning_fen  bigint NOT NULL DEFAULT 0 CHECK (family_planning_fen >= 0),
    eco_compensation_fen bigint NOT NULL DEFAULT 0 CHECK (eco_compensation_fen >= 0),
    dibao_fen            bigint NOT NULL DEFAULT 0 CHECK (dibao_fen >= 0),
    tekun_fen            bigint NOT NULL DEFAULT 0 CHECK (tekun_fen >= 0),
    other_transfer_fen   bigint NOT NULL DEFAULT 0 CHECK (other_transfer_fen >= 0),
    production_cost_fen  bigint NOT NULL DEFAULT 0 CHECK (production_cost_fen >= 0),
    medical_oop_fen      bigint NOT NULL DEFAULT 0 CHECK (medical_oop_fen >= 0), -- medical out of pocket
    net_income_fen       bigint GENERATED ALWAYS AS (
        wage_fen + operating_fen + property_fen + pension_fen + family_planning_fen +
        eco_compensation_fen + dibao_fen + tekun_fen + other_transfer_fen - production_cost_fen) STORED,
    -- two no-worries, three guarantees and water: NULL = not surveyed; a reason only when false
    food_clothing_ok     boolean,
    food_clothing_reason text NOT NULL DEFAULT '',
    education_ok         boolean,
    education_reason     text NOT NULL DEFAULT '',
    medical_ok           boolean,
    medical_reason       text NOT NULL DEFAULT '',
    housing_ok           boolean,
    housing_reason       text NOT NULL DEFAULT '',
    water_ok             boolean,
    water_reason         text NOT NULL DEFAULT '',
    survey_period    char(6) NOT NULL CHECK (survey_period ~ '^[0-9]{4}Q[1-4]$'),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, household_no),
    CHECK ((household_type = 'monitored') = (monitored_kind IS NOT NULL)),
    CHECK (food_clothing_ok IS DISTINCT FROM true OR food_clothing_reason = ''),
    CHECK (education_ok IS DISTINCT FROM true OR education_reason = ''),
    CHECK (medical_ok IS DISTINCT FROM true OR medical_reason = ''),
    CHECK (housing_ok IS DISTINCT FROM true OR housing_reason = ''),
    CHECK (water_ok IS DISTINCT FROM true OR water_reason = '')
);
-- Households by village or township: village_code LIKE '130822112%' walks this index ("C"
-- collation makes a btree serve prefix searches, as for regions).
CREATE INDEX ledger_households_village ON ledger_households (village_code, household_no);

-- One row per person and county: a person belongs to one household. A member who is no longer
-- in the household (not in a later census, or a recorded death or move) keeps the row with
-- left_on and left_reason set; the history is in ledger_events.
CREATE TABLE ledger_members (
    county_code      varchar(6) NOT NULL,
    id_number        char(18) NOT NULL CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
    household_no     varchar(32) COLLATE "C" NOT NULL,
    name             text NOT NULL,
    relation         text NOT NULL CHECK (relation IN ('head', 'spouse', 'child', 'child_in_law', 'grandchild',
                                                       'parent', 'grandparent', 'sibling', 'other')),
    birth_date       date NOT NULL,
    sex              text NOT NULL CHECK (sex IN ('male', 'female')),
    labour           text NOT NULL CHECK (labour IN ('normal', 'weak', 'none', 'lost')),
    health           text NOT NULL CHECK (health IN ('healthy', 'chronic', 'serious', 'disabled')),
    disability_grade smallint CHECK (disability_grade BETWEEN 1 AND 4),
    schooling        text NOT NULL CHECK (schooling IN ('preschool', 'in_school', 'dropped_out', 'graduated', 'none')),
    insured          boolean NOT NULL,
    left_on          date,
    left_reason      text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- screening matches a lead to the ledger by (county, ID number): the primary key
    PRIMARY KEY (county_code, id_number),
    FOREIGN KEY (county_code, household_no) REFERENCES ledger_households (county_code, household_no),
    CHECK (left_on IS NOT NULL OR left_reason = '')
);
CREATE INDEX ledger_members_household ON ledger_members (county_code, household_no);

-- Natural changes (自然增减台账), dated. Written by the census import (birth, move_in, move_out)
-- and later by verified leads (death, marriages: source 'lead:<id>').
CREATE TABLE ledger_events (
    county_code  varchar(6) NOT NULL,
    id           bigserial NOT NULL,
    household_no varchar(32) COLLATE "C" NOT NULL,
    id_number    char(18) NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('birth', 'death', 'marriage_in', 'marriage_out', 'move_in', 'move_out')),
    event_on     date NOT NULL,
    source       text NOT NULL CHECK (source = 'census' OR source ~ '^lead:[0-9]+$'),
    detail       text NOT NULL DEFAULT '',
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (county_code, id)
);
CREATE INDEX ledger_events_person ON ledger_events (county_code, id_number, event_on);
CREATE INDEX ledger_events_household ON ledger_events (county_code, household_no, event_on);
