"""The event catalogue (issue 13): every event goes through events_write(), which writes what the
catalogue (event_types, event_fields, event_regions: migration 020) allows and refuses the rest
with its own SQLSTATE, writing nothing; and docs/events.md is exactly what
tools/scripts/events-doc.py makes from a freshly migrated database."""
import os
import subprocess
import sys
import unittest

import fp

V = "130822112201"

# runs events_write on the events given (SQL of an event_new[]) and answers 'written N' or the
# SQLSTATE and message it refused them with
TRY = """
CREATE FUNCTION pg_temp.try(p event_new[]) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'written ' || events_write(p);
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
SELECT pg_temp.try({});
"""


def event(county, region, type_, payload):
    return f"ROW('{county}', '{region}', '{type_}', '{payload}')::event_new"


class EventCatalogue(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.fresh_db("it_event_catalogue")
        fp.ctl(["migrate"], cls.ci)

    def attempt(self, *events):
        return fp.sql(self.ci, TRY.format("ARRAY[" + ", ".join(events) + "]"))[0][0]

    def events(self):
        return fp.sql(self.ci, "SELECT type, region_code, payload FROM events ORDER BY id")

    def test_docs_are_the_catalogue(self):
        p = subprocess.run([sys.executable, os.path.join(fp.SOURCE, "tools/scripts/events-doc.py"), self.ci],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(fp.SOURCE, "docs/events.md"), encoding="utf-8") as f:
            committed = f.read()
        self.assertEqual(committed, p.stdout,
                         "docs/events.md is not what tools/scripts/events-doc.py makes from the catalogue: run it "
                         "against a migrated database and commit the page")
        for t, in fp.sql(self.ci, "SELECT type FROM event_types"):
            self.assertIn(f"### `{t}`", committed)

    def test_catalogued_events_written_in_order(self):
        before = len(self.events())
        self.assertEqual(self.attempt(
            event("130822", V, "lead.unmatched", '{"lead_id": 7, "kind": "visit.other", "occurred_on": "2026-10-01"}'),
            event("130822", "130822000000", "intake.submission_late", '{"department": "yibao", "period": "2026-10"}'),
            event("130822", V, "plan.opened", '{"plan_id": 3, "kind": "consolidation", "year": 2026, "level": "village"}')),
            "written 3")
        self.assertEqual([e[:2] for e in self.events()[before:]],
                         [("lead.unmatched", V), ("intake.submission_late", "130822000000"), ("plan.opened", V)])
        self.assertEqual(fp.sql(self.ci, "SELECT events_write(NULL), events_write('{}')"), [("0", "0")])

    def refused(self, code, *events):
        before = self.events()
        answer = self.attempt(*events)
        self.assertTrue(answer.startswith(code + " "), answer)
        self.assertEqual(self.events(), before, "a refused call wrote events")
        return answer

    def test_unknown_type_refused(self):
        answer = self.refused("FPE01", event("130822", V, "lead.accepted",
                                             '{"lead_id": 1, "kind": "visit.other", "sender": "s", "batch_id": "b",'
                                             ' "period": "2026-10", "occurred_on": "2026-10-01"}'),
                              event("130822", V, "lead.vanished", '{"lead_id": 1}'))
        self.assertIn("event.unknown_type: lead.vanished", answer)

    def test_missing_field_refused(self):
        answer = self.refused("FPE02", event("130822", V, "lead.unmatched", '{"lead_id": 7, "kind": "visit.other"}'))
        self.assertIn("lead.unmatched", answer)
        self.assertIn("occurred_on", answer)
        self.refused("FPE02", event("130822", V, "lead.unmatched", '[1, 2]'))
        # a scalar payload is refused as not an object, not with jsonb's "cannot delete from scalar"
        self.refused("FPE02", event("130822", V, "lead.unmatched", '1'))
        self.refused("FPE02", event("130822", V, "lead.unmatched", '"lead_id"'))
        # an optional field may be left out, a required one of the same type may not
        self.refused("FPE02", event("130822", V, "plan.opened", '{"kind": "monitoring", "case_id": 1}'))

    def test_unlisted_field_refused(self):
        answer = self.refused("FPE03", event("130822", V, "lead.unmatched",
                                             '{"lead_id": 7, "kind": "visit.other", "occurred_on": "2026-10-01",'
                                             ' "id_number": "x"}'))
        self.assertIn("id_number", answer)

    def test_region_outside_its_rule_refused(self):
        self.refused("FPE04", event("130822", "130823112201", "lead.unmatched",
                                    '{"lead_id": 7, "kind": "visit.other", "occurred_on": "2026-10-01"}'))
        self.refused("FPE04", event("130822", V, "intake.submission_late", '{"department": "yibao", "period": "2026-10"}'))


if __name__ == "__main__":
    fp.main()
