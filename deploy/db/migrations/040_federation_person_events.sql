-- 040_federation_person_events: a person found in more than one county at a prefecture
-- (fangpinctl federation persons, migration 039) is announced on the prefecture's event stream,
-- once per place the person was found and filed under that place's county, so that a dashboard
-- of the prefecture, or of the county, sees it. Written by fangpinctl at the prefecture, which
-- the prefecture's reporting service numbers and publishes: the catalogue files it under
-- reporting. The payload names the counties and the place, never the person.
INSERT INTO event_types (type, writer, region, meaning) VALUES
  ('federation.person_in_counties', 'reporting', 'county',
   'at a prefecture, fangpinctl federation persons found a person of this county also in another county (each place once)');
INSERT INTO event_fields (type, field, ord, required, meaning) VALUES
  ('federation.person_in_counties', 'counties', 1, true, 'every county the person was found in, comma-separated'),
  ('federation.person_in_counties', 'source', 2, true, 'where in this county: ledger (a present member) or lead'),
  ('federation.person_in_counties', 'ref', 3, true, 'the household number (ledger) or the lead''s id');
