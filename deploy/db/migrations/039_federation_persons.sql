-- 039_federation_persons: at a prefecture, the people found in more than one county
-- (fangpinctl federation persons, docs/federation.md). Each county keys ID numbers with its own
-- data key, so the prefecture opens its counties' sealed numbers with the keys county IT handed
-- over and keys them again with its own: person_key is that HMAC, comparable across counties
-- and nowhere else. One row per place a person was found: a ledger household or a lead.
CREATE TABLE federation_persons (
    county_code  varchar(6) NOT NULL,
    person_key   bytea NOT NULL CHECK (length(person_key) = 32),
    source       text NOT NULL CHECK (source IN ('ledger', 'lead')),
    ref          text NOT NULL,              -- the household number, or the lead's id
    id_masked    text NOT NULL,
    found_on     date NOT NULL,
    PRIMARY KEY (county_code, person_key, source, ref)
);
CREATE INDEX federation_persons_person ON federation_persons (person_key);
