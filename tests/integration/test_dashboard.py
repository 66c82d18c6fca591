"""The dashboard in a real browser (issue 17; docs/dashboard.md): Debian's headless Chromium
(browser.py) against the real reporting and intake services on the test PostgreSQL. Login with a
token and its expiry shown; the page's numbers (its DOM) equal the report CSVs of the same region
and period; the drill-down county -> township and back; an event written by a push appears in the
live ticker (its latency measured and printed, never asserted); a report's table and its
download; a township's token sees only its township; logout forgets the token; no URL the page
requested carries a token; no console error or CSP refusal. Saves the screenshot
(build-test/itvar/dashboard.png; the latest is committed as docs/images/dashboard.png) and prints
the page's first paint and size."""
import json
import os
import time
import unittest

import browser
import dashfix as D
import fp
from fangpin.v1 import common_pb2, intake_pb2

SHOT = os.path.join(fp.VAR, "dashboard.png")
KPI = "Number(document.querySelector('[data-k=\"%s\"]').textContent.replace(/,/g, ''))"


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ci = D.county("it_dashboard")
        cls.keys = D.keys(cls.ci)
        cls.tok = D.tokens(cls.ci)
        cls.tok["county"] = fp.token(cls.ci, D.PRINCIPALS["county"][0], "--label", "县指挥部大屏", "--days", "30")
        cls.svc = D.reporting(cls.ci, cls.keys)
        cls.intake = fp.Service("intake", cls.ci, cls.keys, env={"FANGPIN_TODAY": D.TODAY})
        cls.b = browser.Browser(width=1920, height=1080).__enter__()
        cls.pushes = 0

    @classmethod
    def tearDownClass(cls):
        cls.b.close()
        for svc in (cls.svc, cls.intake):
            rc = svc.stop()
            assert rc == 0 and "Sanitizer" not in svc.log(), svc.log()[-3000:]

    def csv(self, report, period, region=D.COUNTY):
        return D.report_csv(self.svc, report, region, period, self.tok["county"])

    def loaded(self, region, month=D.MONTH, quarter=D.QUARTER):
        """Until the page shows region's summary and its units one level down."""
        self.b.wait_js(f"document.body.dataset.loaded === '{region}/{month}/{quarter}' &&"
                       f" (document.querySelector('#children tbody tr') || {{}}).dataset?.code?.startsWith('{region}')",
                       timeout=60)

    def push(self):
        """One batch of one lead from 医保 (a push): intake writes a lead.accepted event."""
        Dashboard.pushes += 1
        n = self.pushes
        req = intake_pb2.IntakeRequest(request_id=f"dash-{n}")
        req.submit_leads.batch_id = f"dash-push-{n}"
        req.submit_leads.period = D.MONTH
        req.submit_leads.leads.append(intake_pb2.Lead(
            id_number=fp.id_number(900 + n), name="张三", village_code="130822100201", kind="yibao.high_cost",
            occurred_on="2026-11-15", detail="大屏测试", line_ref=str(n), amount_fen=5000000, has_amount=True))
        c = self.intake.client("yibao")
        try:
            r = c.call(req, intake_pb2.IntakeReply, 20000)
        finally:
            c.close()
        self.assertEqual(r.status.code, common_pb2.Code.OK, r)

    def test_1_login_and_numbers(self):
        b = self.b
        b.goto(f"{self.svc.http}/dash/")
        b.wait_js("document.getElementById('fp-login') && !document.getElementById('fp-login').hidden")
        b.type("#fp-token", self.tok["county"])
        b.click("#fp-login-go")
        self.loaded(D.COUNTY)
        self.assertIn("有效期至", b.eval("document.getElementById('fp-expires').textContent"))
        self.assertEqual(b.eval("document.getElementById('region-name').textContent"), "兴隆县")
        scale = self.csv("scale_quarterly", D.QUARTER)
        for key, head in (("mon_hh", "监测对象户数"), ("mon_people", "监测对象人数"), ("elim_hh", "本季度风险消除户数")):
            self.assertEqual(b.eval(KPI % key), int(scale["合计"][head]), key)
        self.assertEqual(b.eval(KPI % "received"), int(self.csv("lead_verification_monthly", D.MONTH)["合计"]["接收"]))
        self.assertEqual(b.eval(KPI % "late"), int(self.csv("deadlines", D.MONTH)["合计"]["逾期单位数"]))
        rows = b.eval("[...document.querySelectorAll('#children tbody tr')].map(tr => [tr.cells[0].textContent,"
                      " tr.querySelector('[data-c=mon_hh]').textContent, tr.querySelector('[data-c=mon_people]').textContent])")
        self.assertEqual(len(rows), 20)
        for name, hh, people in rows:
            self.assertEqual((hh.replace(",", ""), people.replace(",", "")),
                             (scale[name]["监测对象户数"], scale[name]["监测对象人数"]), name)

    def test_2_ticker(self):
        b = self.b
        b.wait_js("document.body.dataset.ticker === 'open'", timeout=30)
        seen = None
        for attempt in range(6):  # a push before the stream's first read is behind its start: push again
            sent_ms = time.time() * 1000
            self.push()
            try:
                seen = b.wait_js("(() => { const li = document.querySelector('#ticker li[data-type=\"lead.accepted\"]');"
                                 " return li && [Number(li.dataset.created), Number(li.dataset.seen)]; })()",
                                 timeout=5)
                break
            except AssertionError:
                continue
        self.assertIsNotNone(seen, "no lead.accepted in the ticker after 6 pushes")
        print(f"ticker latency: {seen[1] - seen[0]:.0f} ms from the event's commit to the page,"
              f" {seen[1] - sent_ms:.0f} ms from the push (attempt {attempt + 1}) (issue 17 asks 2 s; measured, not asserted)")

    def test_3_report_and_download(self):
        b = self.b
        b.eval("(() => { const s = document.getElementById('report'); s.value = 'scale_quarterly';"
               " s.dispatchEvent(new Event('change')); })()")
        self.assertEqual(b.eval("document.getElementById('report-period').value"), D.QUARTER)
        b.click("#report-form button[type=submit]")
        b.wait_js(f"document.body.dataset.report === 'scale_quarterly/{D.COUNTY}/{D.QUARTER}'")
        total = b.eval("(() => { const tr = document.querySelector('#report-table tr.total');"
                       " return Object.fromEntries([...tr.querySelectorAll('td[data-c]')].map(td => [td.dataset.c, td.textContent])); })()")
        heads = b.eval("[...document.querySelectorAll('#report-table thead th')].slice(1).map(th => th.textContent)")
        self.assertEqual(list(total.values()), [self.csv("scale_quarterly", D.QUARTER)["合计"][h] for h in heads])
        b.click("#dl-csv")
        want = f"/reports/scale_quarterly?region={D.COUNTY}&period={D.QUARTER}&format=csv"
        fp.wait_for(lambda: any(u.endswith(want) for u in b.urls()), timeout=30, what="the CSV download's request")
        b.wait_js("!!(document.querySelector('#chart-children canvas') && document.querySelector('#chart-report canvas'))")
        b.screenshot(SHOT)
        print(f"screenshot: {SHOT}")
        paint = b.eval("(() => { const p = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');"
                       " const r = performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))"
                       "   .filter(e => !/\\/(api|events|reports)\\b/.test(e.name));"
                       " return [p ? p.startTime : -1, r.reduce((a, e) => a + e.encodedBodySize, 0), r.length]; })()")
        print(f"page: first contentful paint {paint[0]:.0f} ms, {paint[1]} bytes in {paint[2]} files"
              " (the page, fangpin.js/css and the vendored echarts.min.js, uncompressed)")

    def test_4_drill_down(self):
        b = self.b
        b.click(f"#children tbody tr[data-code='{D.TOWNSHIP}']")
        self.loaded(D.TOWNSHIP)
        self.assertEqual(b.eval("document.getElementById('region-name').textContent"), "兴隆镇")
        villages = b.eval("[...document.querySelectorAll('#children tbody tr')].map(tr => tr.dataset.code)")
        self.assertTrue(villages and all(v.startswith(D.TOWNSHIP) and len(v) == 12 for v in villages), villages)
        b.click(f"#crumbs a[data-code='{D.COUNTY}']")  # the breadcrumb back up
        self.loaded(D.COUNTY)

    def test_5_township_and_logout(self):
        b = self.b
        b.click("#fp-logout")
        b.wait_js("!document.getElementById('fp-login').hidden")
        self.assertIsNone(b.eval("localStorage.getItem('fangpin.token')"))
        # another login in the same page: the county kept in the address (#130822) is outside the
        # township's token, so the page opens on the token's township
        b.type("#fp-token", self.tok["township"])
        b.click("#fp-login-go")
        self.loaded(D.TOWNSHIP)
        self.assertEqual(b.eval(f"document.querySelectorAll('#crumbs [data-code=\"{D.COUNTY}\"]').length"), 0)
        scale = self.csv("scale_quarterly", D.QUARTER, D.TOWNSHIP)
        self.assertEqual(b.eval(KPI % "mon_hh"), int(scale["合计"]["监测对象户数"]))
        status = b.eval(f"fetch('api/summary?region={D.COUNTY}', {{headers: {{Authorization: 'Bearer ' + FP.token()}}}})"
                        ".then(r => r.status + ' ' + r.headers.get('X-Fangpin-Reason'))")
        self.assertEqual(status, "403 read.region")

    def test_6_no_token_in_urls_no_errors(self):
        urls = self.b.urls()
        self.assertTrue(any("/dash/api/summary" in u for u in urls) and any("/events?" in u for u in urls), urls)
        for t in self.tok.values():
            self.assertFalse([u for u in urls if t in u or "access_token" in u])
        self.assertFalse([u for u in urls if "fpt_" in u], urls)
        refused = f"api/summary?region={D.COUNTY}"  # test_5's own 403, logged by the browser
        self.assertEqual([e for e in self.b.errors() if refused not in e], [])

    def test_7_phone(self):
        """On a phone's width one column, nothing wider than the screen (tables scroll in their box)."""
        b = self.b
        b.send("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2,
                                                       "mobile": True})
        b.wait_js("window.innerWidth === 390 && document.documentElement.scrollWidth <= 390"
                  " && document.getElementById('chart-kinds').clientWidth < 390")
        self.assertEqual(b.eval("getComputedStyle(document.querySelector('.kpis')).gridTemplateColumns.split(' ').length"), 2)
        b.screenshot(os.path.join(fp.VAR, "dashboard-phone.png"))


if __name__ == "__main__":
    fp.main()
