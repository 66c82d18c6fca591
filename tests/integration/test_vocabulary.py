"""The risk types compiled into screening, assistance and reporting's risk columns (domain/vocab.h) against the database's
risk_types catalogue: a service whose words disagree with the catalogue says so once, in one log
line naming each difference, and stays not ready (/readyz 503) until the catalogue agrees again;
then it becomes ready without a restart."""
import unittest

import fp

LINE = "disagrees with the database's catalogue"


class Vocabulary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = fp.fresh_db("it_vocabulary")
        fp.ctl(["migrate"], cls.ci)
        cls.keys = fp.Keys(cls.ci)

    def disagree(self):
        fp.sql(self.ci, "UPDATE risk_types SET name_zh = '因水' WHERE code = 'water'")
        fp.sql(self.ci, "INSERT INTO risk_types (code, name_zh, name_en, ord) VALUES ('debt', '因债', 'debt', 12)")

    def agree(self):
        fp.sql(self.ci, "DELETE FROM risk_types WHERE code = 'debt'")
        fp.sql(self.ci, "UPDATE risk_types SET name_zh = '因安全饮水' WHERE code = 'water'")

    def test_agreeing_catalogue_is_ready(self):
        for name in ("screening", "assistance", "reporting"):
            with self.subTest(svc=name):
                svc = fp.Service(name, self.ci, self.keys)
                try:
                    self.assertNotIn(LINE, svc.log())
                finally:
                    svc.stop()

    def test_disagreeing_catalogue_is_not_ready_until_it_agrees(self):
        for name in ("screening", "assistance", "reporting"):
            with self.subTest(svc=name):
                self.disagree()
                svc = fp.Service(name, self.ci, self.keys, wait_ready=False)
                try:
                    fp.wait_for(lambda: LINE in svc.log() or svc._died(), 60, what=f"{name} names the disagreement")
                    log = svc.log()
                    self.assertIn("risk type water", log)
                    self.assertIn("risk type debt", log)
                    status, body = fp.http_get(svc.http + "/readyz")
                    self.assertEqual(status, 503, body)
                    self.assertIn("disagrees with the vocabulary compiled in", body)
                    self.agree()
                    svc.wait_ready(60)
                    self.assertEqual(svc.log().count(LINE), 1)  # said once, not every 2 s
                finally:
                    self.agree()
                    svc.stop()


if __name__ == "__main__":
    fp.main()
