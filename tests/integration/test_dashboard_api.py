"""The dashboard's JSON (issue 17, GET /dash/api/...; docs/dashboard.md) without a browser: a bearer
token is required (401), the reports' read policy decides (403 with the reason: another region,
a department, the deadlines to a village), every number is the report's own (the CSV download of
the same region and period) or, for what no report counts, an independent count; the drill-down's
units; arguments refused; the dashboard off by default."""
import unittest

import dashfix as D
import fp


class DashboardApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = D.county("it_dash_api")
        cls.keys = D.keys(cls.ci)
        cls.tok = D.tokens(cls.ci)
        cls.svc = D.reporting(cls.ci, cls.keys)

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0 and "Sanitizer" not in cls.svc.log(), cls.svc.log()[-3000:]

    def api(self, path, who="county"):
        return D.api(self.svc, path, self.tok.get(who, who))

    def refused(self, path, who, status, reason):
        st, h, body = self.api(path, who)
        self.assertEqual((st, h["X-Fangpin-Reason"], body["reason"]), (status, reason, reason), body)
        self.assertTrue(body["message"] and body["message_zh"], body)

    def test_token_required(self):
        for path in ("summary", "children", f"report?report=scale_quarterly&period={D.QUARTER}"):
            st, h, _ = self.api(path, None)
            self.assertEqual(st, 401, path)
            self.assertIn("Bearer", h["WWW-Authenticate"])
            self.assertEqual(self.api(path, "fpt_" + "A" * 43)[0], 401, path)  # well formed, never issued

    def test_scope(self):
        # a township's token: its township by default, never the county or another township
        st, _, s = self.api("summary", "township")
        self.assertEqual((st, s["region"]["code"], s["region"]["name"]), (200, D.TOWNSHIP, "兴隆镇"))
        for path in (f"summary?region={D.COUNTY}", f"children?region={D.OTHER_TOWNSHIP}",
                     f"report?report=scale_quarterly&region={D.COUNTY}&period={D.QUARTER}"):
            self.refused(path, "township", 403, "read.region")
        self.assertEqual(self.api(f"children?region={D.TOWNSHIP}201", "township")[0], 200)  # a village of it
        self.refused("summary", "yibao", 403, "read.kind")  # a department reads no reports
        # a village reads the reports but the deadlines: its summary has no late units
        st, _, s = self.api("summary", "village")
        self.assertEqual((st, s["late"], s["region"]["kind"]), (200, None, "village"))
        self.refused("report?report=deadlines&period=2026-11", "village", 403, "read.report")

    def test_arguments(self):
        self.refused("summary?month=2026-13", "county", 400, "request.field")
        self.refused("summary?quarter=2026Q5", "county", 400, "request.field")
        self.refused("summary?region=13082", "county", 400, "request.field")
        self.refused("summary?region=130822'", "county", 400, "request.field")
        self.refused("report?report=scale_quarterly&period=2026-11", "county", 400, "request.field")
        self.refused("report?report=nothing&period=2026-11", "county", 400, "request.field")
        self.refused("summary?region=130822999", "county", 404, "region.not_found")
        self.refused("other", "county", 404, "request.unknown_operation")
        st, _, lst = self.api("reports", None)  # the list of reports: no data, no token
        self.assertEqual((st, [r["code"] for r in lst][:2]), (200, ["lead_verification_monthly", "scale_quarterly"]))

    def test_summary_is_the_reports(self):
        st, _, s = self.api("summary")
        self.assertEqual((st, s["month"], s["quarter"], s["today"]), (200, D.MONTH, D.QUARTER, D.TODAY))
        self.assertEqual([p["code"] for p in s["region"]["path"]], ["13", "1308", D.COUNTY])
        scale = D.report_csv(self.svc, "scale_quarterly", D.COUNTY, D.QUARTER, self.tok["county"])["合计"]
        t = s["scale"]["total"]
        for key, head in (("mon_hh", "监测对象户数"), ("mon_people", "监测对象人数"), ("ul_hh", "脱贫不稳定户户数"),
                          ("mg_hh", "边缘易致贫户户数"), ("sh_hh", "突发严重困难户户数"), ("elim_hh", "本季度风险消除户数")):
            self.assertEqual(str(t[key]), scale[head], key)
        self.assertGreater(t["mon_hh"], 0)
        self.assertEqual({r["name_zh"]: str(r["hh"]) for r in s["risks"]},
                         {h[:-3]: v for h, v in scale.items() if h.startswith("因") or h in ("缺劳动力（户）", "其他（户）")})
        lvm = D.report_csv(self.svc, "lead_verification_monthly", D.COUNTY, D.MONTH, self.tok["county"])
        self.assertEqual({r["label"]: str(r["received"]) for r in s["leads"]["rows"]},
                         {k: v["接收"] for k, v in lvm.items() if k in {r["label"] for r in s["leads"]["rows"]}})
        self.assertEqual(len(s["leads"]["rows"]), 6)
        self.assertEqual(str(s["leads"]["total"]["received"]), lvm["合计"]["接收"])
        late = D.report_csv(self.svc, "deadlines", D.COUNTY, D.MONTH, self.tok["county"])
        self.assertEqual(str(s["late"]["total"]["late"]), late["合计"]["逾期单位数"])
        elim = D.report_csv(self.svc, "elimination_quarterly", D.COUNTY, D.QUARTER, self.tok["county"])["合计"]
        self.assertEqual(str(s["elimination"]["total"]["eliminated"]), elim["公告消除"])

    def test_cases_and_plans_counted_once(self):
        _, _, s = self.api("summary")
        (n_open, n_over), = fp.sql(self.ci, "SELECT count(*), count(*) FILTER (WHERE overdue_step = state) FROM cases"
                                            " WHERE state NOT IN ('identified', 'closed_not_included')")
        self.assertEqual((s["cases"]["open"], s["cases"]["overdue"]), (int(n_open), int(n_over)))
        self.assertGreater(int(n_over), 0)
        by_state = dict(fp.sql(self.ci, "SELECT state, count(*) FROM cases WHERE state NOT IN ('identified',"
                                        " 'closed_not_included') GROUP BY 1"))
        self.assertEqual({r["state"]: str(r["open"]) for r in s["cases"]["steps"] if r["open"]}, by_state)
        (n_plans,), = fp.sql(self.ci, "SELECT count(*) FROM plans WHERE findings <> '[]'")
        self.assertEqual((s["plans"]["with_findings"], s["plans"]["checks"][0]["id"]), (int(n_plans), "P04"))

    def test_children(self):
        st, _, kids = self.api("children")
        towns = fp.sql(self.ci, f"SELECT code, name FROM regions WHERE parent = '{D.COUNTY}' ORDER BY code")
        self.assertEqual((st, [(k["code"], k["name"]) for k in kids]), (200, [tuple(t) for t in towns]))
        scale = D.report_csv(self.svc, "scale_quarterly", D.COUNTY, D.QUARTER, self.tok["county"])
        for k in kids:
            self.assertEqual(str(k["mon_hh"]), scale[k["name"]]["监测对象户数"], k["code"])
        (n,), = fp.sql(self.ci, f"SELECT count(*) FROM cases WHERE village_code LIKE '{D.TOWNSHIP}%'"
                                " AND state NOT IN ('identified', 'closed_not_included')")
        self.assertEqual([k["open_cases"] for k in kids if k["code"] == D.TOWNSHIP], [int(n)])
        st, _, villages = self.api(f"children?region={D.TOWNSHIP}")
        self.assertTrue(st == 200 and villages and all(v["code"].startswith(D.TOWNSHIP) and len(v["code"]) == 12
                                                       for v in villages))
        st, _, none = self.api(f"children?region={villages[0]['code']}")
        self.assertEqual((st, none), (200, []))  # nothing under a village

    def test_report(self):
        st, _, rep = self.api(f"report?report=scale_quarterly&region={D.COUNTY}&period={D.QUARTER}")
        self.assertEqual((st, rep["report"], rep["first"], rep["frozen"]), (200, "scale_quarterly", "区划", False))
        csv_rows = D.report_csv(self.svc, "scale_quarterly", D.COUNTY, D.QUARTER, self.tok["county"])
        self.assertEqual(len(rep["rows"]), len(csv_rows))
        for r in rep["rows"]:
            self.assertEqual({c["title"]: str(r[c["key"]]) for c in rep["columns"]}, csv_rows[r["label"]], r["label"])

    def test_off_by_default(self):
        svc = fp.Service("reporting", self.ci, self.keys, env={"FANGPIN_TODAY": D.TODAY})
        try:
            self.assertEqual(D.get(f"{svc.http}/dash/api/summary", self.tok["county"])[0], 404)
        finally:
            self.assertEqual(svc.stop(), 0)


if __name__ == "__main__":
    fp.main()
