-- 045_federation_found: a person an upper level (prefecture or province) finds in more than one
-- of its counties goes back down to each of those counties, as a data-quality finding of the
-- county's own (issue 16, docs/federation.md "What flows down"). By PostgreSQL's replication, like
-- the way up:
--   * federation_level: at an upper level, its own region code (4 digits a prefecture, 2 a
--     province), recorded by `fangpinctl federation add-county --upper CODE`; it names the level's
--     replication slots at the counties and the rows it sends down;
--   * federation_found: one row per place (a present ledger member, or a lead) where the upper
--     level found a person also in another of its counties. Written at the upper level by
--     `fangpinctl federation persons` (the rows of one level are exactly what its last run found:
--     a place no longer found is deleted), published to each county by a publication of its own
--     with a row filter on the county's code (`add-county --down-password-file`), and received at
--     the county by its subscription (`fangpinctl federation subscribe-upper`). No ID number: the
--     person is named by the county's own keyed hash (id_hmac, made with the county's data key,
--     which only that county and its upper levels hold), the other counties by their codes;
--   * the rule Q008 (identity): a present ledger member of the county whom an upper level found
--     in another county. The persons population gains the column elsewhere (those counties, with
--     their names); it is dropped here and made again by the functions that follow every
--     migration. The finding lives as every finding does: opened by a run, fixed by the first run
--     after the upper level no longer finds the person (its row deleted, the deletion replicated),
--     explained and reviewed by the village and township.
CREATE TABLE federation_level (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    region_code varchar(4) NOT NULL CHECK (region_code ~ '^[0-9]{2}([0-9]{2})?$')
);

CREATE TABLE federation_found (
    county_code varchar(6) NOT NULL CHECK (county_code ~ '^[0-9]{6}$'),
    found_by    varchar(4) NOT NULL,          -- the upper level's region code (federation_level)
    id_hmac     bytea NOT NULL,               -- the county's own keyed hash of the ID number
    source      text NOT NULL CHECK (source IN ('ledger', 'lead')),
    ref         text NOT NULL,                -- the household number (ledger) or the lead's id
    elsewhere   varchar(6)[] NOT NULL CHECK (cardinality(elsewhere) > 0), -- the other counties
    found_on    date NOT NULL,
    PRIMARY KEY (county_code, found_by, id_hmac, source, ref)
);

DROP FUNCTION IF EXISTS quality_persons(text, date);

INSERT INTO quality_rules (code, category, severity, population, household_types, message_zh, message_en,
                           condition, params, facts, source) VALUES
  ('Q008', 'identity', 'error', 'person', DEFAULT, '同一身份证号在其他县（市、区）也有记录',
   'the same ID number is also on record in another county',
   $c$elsewhere IS NOT NULL$c$, '{}', '{elsewhere}',
   'issue 16 (found by the prefecture or province: docs/federation.md)');
