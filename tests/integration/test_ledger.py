"""test_ledger.py: `fangpinctl ledger import` against a real PostgreSQL holding 兴隆县's regions,
with small files made by deploy/demo/make_ledger.py: exact counts, an idempotent re-import
(updated_at and the row versions untouched), a GBK copy imports the same, bad lines refused
with their whole household and listed in FILE.results.csv, the checks across lines (heads,
duplicate ID numbers, the head's name; SQL over the staged lines), a file broken near its end
rolled back whole, the next quarter's census (a member gone gets left_on and a move_out event, a
newborn a birth event), and the importer's memory not growing with the file (its peak resident
size far below the file's size)."""
import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import fp

MAKE = os.path.join(fp.SOURCE, 'deploy', 'demo', 'make_ledger.py')
ROW_RE = r'(?m)^{}\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$'


def counts(proc, what):
    """(read, inserted, updated, unchanged, refused) of 'households' or 'members'."""
    m = re.search(ROW_RE.format(what), proc.stdout)
    if not m:
        raise AssertionError('no %s line in the summary:\n%s\n%s' % (what, proc.stdout, proc.stderr))
    return tuple(int(x) for x in m.groups())


def read_rows(path):
    with open(path, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def write_rows(path, header, rows, encoding='utf-8-sig'):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\r\n')
    w.writerow(header)
    w.writerows(rows)
    with open(path, 'wb') as f:
        f.write(buf.getvalue().encode(encoding))


def results(path):
    """{line: (household_no, code)} of FILE.results.csv, checking its BOM and header."""
    out = path[:-4] + '.results.csv'
    with open(out, 'rb') as f:
        data = f.read()
    assert data.startswith(b'\xef\xbb\xbf'), 'results file without BOM'
    rows = list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))
    assert rows[0] == ['行号', '户编号', '结果', '原因代码', '原因', 'reason'], rows[0]
    return {int(r[0]): (r[1], r[3], r[4], r[5]) for r in rows[1:]}


class LedgerImport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='fp-ledger-', dir=fp.VAR)
        cls.small = os.path.join(cls.tmp, 'small.csv')
        subprocess.run([sys.executable, MAKE, '--people', '300', '--prefix', 'T', '--out', cls.small],
                       check=True, capture_output=True)
        cls.header, cls.rows = read_rows(cls.small)
        cls.col = {name: i for i, name in enumerate(cls.header)}
        cls.households = sorted({r[0] for r in cls.rows})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def snapshot(self, ci):
        return (fp.sql(ci, 'SELECT household_no, updated_at, xmin FROM ledger_households ORDER BY 1'),
                fp.sql(ci, 'SELECT id_hmac, updated_at, xmin FROM ledger_members ORDER BY 1'))

    def test_import_counts_and_idempotent(self):
        ci = fp.county_db('ledger_counts')
        out = fp.ctl(['ledger', 'import', self.small], ci)
        nh, nm = len(self.households), len(self.rows)
        self.assertEqual(counts(out, 'households'), (nh, nh, 0, 0, 0))
        self.assertEqual(counts(out, 'members'), (nm, nm, 0, 0, 0))
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_households'), [(str(nh),)])
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_members WHERE left_on IS NULL'), [(str(nm),)])
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_events'), [('0',)])
        # one row checked value by value
        r = self.rows[0]
        c = self.col
        got = fp.sql(ci, "SELECT m.name, m.household_no, h.village_code, h.county_code, m.birth_date,"
                         " h.wage_fen, h.survey_period FROM ledger_members m JOIN ledger_households h"
                         " USING (county_code, household_no) WHERE m.id_hmac = '%s'" % fp.id_hmac(r[c['身份证号']]))
        fen = int(round(float(r[c['工资性收入(元)']]) * 100))
        self.assertEqual(got, [(r[c['姓名']], r[0], r[1], r[1][:6], r[c['出生日期']], str(fen), '2026Q3')])
        # the number itself is kept sealed: the data key opens it, and its masked form is beside it
        sealed, masked = fp.sql(ci, "SELECT id_sealed, id_masked FROM ledger_members WHERE id_hmac = '%s'"
                                    % fp.id_hmac(r[c['身份证号']]))[0]
        self.assertEqual(fp.id_open(sealed), r[c['身份证号']])
        self.assertEqual(masked, r[c['身份证号']][:4] + '*' * 10 + r[c['身份证号']][-4:])
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM ledger_households WHERE village_code LIKE '130822112%'"),
                         [(str(len({x[0] for x in self.rows if x[1].startswith('130822112')})),)])
        # results file: header only
        self.assertEqual(results(self.small), {})

        before = self.snapshot(ci)
        again = fp.ctl(['ledger', 'import', self.small], ci)
        self.assertEqual(counts(again, 'households'), (nh, 0, 0, nh, 0))
        self.assertEqual(counts(again, 'members'), (nm, 0, 0, nm, 0))
        self.assertEqual(self.snapshot(ci), before, 'a re-import rewrote rows')
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_events'), [('0',)])

        # the same file in GBK (what WPS/Excel write for "CSV") is the same ledger
        gbk = self.path('small-gbk.csv')
        write_rows(gbk, self.header, self.rows, encoding='gbk')
        out = fp.ctl(['ledger', 'import', gbk], ci)
        self.assertIn('(gbk)', out.stdout)
        self.assertEqual(counts(out, 'members'), (nm, 0, 0, nm, 0))
        self.assertEqual(self.snapshot(ci), before, 'the GBK copy changed rows')

    def test_gbk_into_empty_database(self):
        ci = fp.county_db('ledger_gbk')
        gbk = self.path('only-gbk.csv')
        write_rows(gbk, self.header, self.rows, encoding='gbk')
        out = fp.ctl(['ledger', 'import', gbk], ci)
        self.assertEqual(counts(out, 'members')[1], len(self.rows))
        names = fp.sql(ci, 'SELECT name FROM ledger_members ORDER BY id_hmac')
        self.assertEqual(names, [(r[self.col['姓名']],) for r in sorted(self.rows, key=lambda r: fp.id_hmac(r[6]))])

    def test_bad_lines_refuse_their_household(self):
        ci = fp.county_db('ledger_bad')
        c = self.col
        rows = [list(r) for r in self.rows]
        multi = [h for h in self.households if sum(1 for r in rows if r[0] == h) >= 3]
        hid, hvil, hvoc, hinc = multi[:4]
        line_of = lambda i: i + 2  # noqa: E731  header is line 1
        idx = {h: [i for i, r in enumerate(rows) if r[0] == h] for h in (hid, hvil, hvoc, hinc)}
        # a mistyped check digit
        i = idx[hid][1]
        idn = rows[i][c['身份证号']]
        rows[i][c['身份证号']] = idn[:17] + ('0' if idn[17] != '0' else '1')
        # a village of 承德县 next door, not in the regions table (on every line: consistent)
        for i in idx[hvil]:
            rows[i][c['村代码']] = '130821100201'
        # an unknown health status
        rows[idx[hvoc][2]][c['健康状况']] = '很好'
        # a household column that differs on one line
        rows[idx[hinc][1]][c['低保金(元)']] = '12345.00'
        bad = self.path('bad.csv')
        write_rows(bad, self.header, rows)
        out = fp.ctl(['ledger', 'import', bad], ci, check=False)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        res = results(bad)
        refused_lines = sum(len(v) for v in idx.values())
        self.assertEqual(len(res), refused_lines)
        self.assertEqual(res[line_of(idx[hid][1])][1], 'idcard.checksum')
        for i in idx[hvil]:
            self.assertEqual(res[line_of(i)][1], 'village.unknown')
        self.assertEqual(res[line_of(idx[hvoc][2])][1], 'health.unknown')
        self.assertIn('很好', res[line_of(idx[hvoc][2])][2])
        self.assertEqual(res[line_of(idx[hinc][1])][1], 'household.inconsistent')
        self.assertIn('低保金', res[line_of(idx[hinc][1])][2])
        # the household's other lines are refused with it, naming the line that was
        self.assertEqual(res[line_of(idx[hid][0])][1], 'household.refused')
        self.assertIn('line %d' % line_of(idx[hid][1]), res[line_of(idx[hid][0])][3])
        self.assertEqual(res[line_of(idx[hinc][0])][1], 'household.refused')
        for h in idx:
            self.assertEqual(res[line_of(idx[h][0])][0], h)
        nh = len(self.households)
        self.assertEqual(counts(out, 'households'), (nh, nh - 4, 0, 0, 4))
        self.assertEqual(counts(out, 'members'), (len(rows), len(rows) - refused_lines, 0, 0, refused_lines))
        got = fp.sql(ci, "SELECT count(*) FROM ledger_households WHERE household_no IN ('%s')" % "','".join(idx))
        self.assertEqual(got, [('0',)])
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_households'), [(str(nh - 4),)])
        self.assertIn('refused', out.stderr)

    def test_checks_across_lines(self):
        ci = fp.county_db('ledger_across')
        c = self.col
        rows = [list(r) for r in self.rows]
        line_of = lambda i: i + 2  # noqa: E731  header is line 1
        multi = [h for h in self.households if sum(1 for r in rows if r[0] == h) >= 3]
        two_heads, no_head, head_name, dup_a, dup_b = multi[:5]
        idx = {h: [i for i, r in enumerate(rows) if r[0] == h] for h in multi[:5]}
        is_head = lambda i: rows[i][c['与户主关系']] == '户主'  # noqa: E731
        # a second head
        other = [i for i in idx[two_heads] if not is_head(i)][0]
        rows[other][c['与户主关系']] = '户主'
        heads = sorted([i for i in idx[two_heads] if is_head(i)])
        # no head at all
        for i in idx[no_head]:
            if is_head(i):
                rows[i][c['与户主关系']] = '其他'
        # the head's name written differently on every line from the head's own line
        for i in idx[head_name]:
            rows[i][c['户主姓名']] = '某某某'
        head_line = [i for i in idx[head_name] if is_head(i)][0]
        # one person in two households: dup_a's last member is dup_b's last one (sex and birth with it)
        ia, ib = idx[dup_a][-1], idx[dup_b][-1]
        for k in ('身份证号', '性别', '出生日期'):
            rows[ia][c[k]] = rows[ib][c[k]]
        first, second = sorted((ia, ib))
        path = self.path('across.csv')
        write_rows(path, self.header, rows)
        out = fp.ctl(['ledger', 'import', path], ci, check=False)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        res = results(path)
        self.assertEqual(res[line_of(heads[1])][1], 'household.heads')
        self.assertIn('line %d' % line_of(heads[0]), res[line_of(heads[1])][3])
        self.assertIn('与户主关系', res[line_of(heads[1])][2])
        self.assertEqual(res[line_of(idx[no_head][0])][1], 'household.no_head')
        self.assertEqual(res[line_of(head_line)][1:], ('household.head_name', '户主姓名：与户主本人一行的姓名不一致',
                                                       "户主姓名: differs from the name on the head's own line"))
        self.assertEqual(res[line_of(first)][1], 'id.duplicate')
        self.assertIn('line %d:' % line_of(second), res[line_of(first)][3])
        self.assertEqual(res[line_of(second)][1], 'id.duplicate')
        self.assertIn('line %d:' % line_of(first), res[line_of(second)][3])
        refused = {i for h in idx for i in idx[h]}
        self.assertEqual(set(res), {line_of(i) for i in refused})
        for i in refused:
            if line_of(i) not in (line_of(heads[1]), line_of(idx[no_head][0]), line_of(head_line), line_of(first),
                                  line_of(second)):
                self.assertEqual(res[line_of(i)][1], 'household.refused')
        nh = len(self.households)
        self.assertEqual(counts(out, 'households'), (nh, nh - 5, 0, 0, 5))
        self.assertEqual(counts(out, 'members'), (len(rows), len(rows) - len(refused), 0, 0, len(refused)))
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM ledger_members WHERE household_no IN ('%s')"
                                    % "','".join(idx)), [('0',)])

    def test_no_orphan_member(self):
        """Migration 042 replaced the row-level foreign key members -> households by the checks of
        deploy/db/functions/ledger.sql (once per statement for an INSERT): a member of a household
        the ledger does not hold is still refused, inserted (even beside a good row) or moved there,
        and a household members stand in is neither deleted nor renumbered (SQLSTATE 23503)."""
        ci = fp.county_db('ledger_orphan')
        fp.ctl(['ledger', 'import', '--no-quality', self.small], ci)
        hh, other = self.households[0], self.households[1]

        def refused(query):
            p = subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'VERBOSITY=verbose', ci,
                                '-c', query], capture_output=True, text=True)
            self.assertNotEqual(p.returncode, 0, 'accepted: ' + query)
            self.assertIn('23503', p.stderr)

        copy = ("INSERT INTO ledger_members (county_code, id_hmac, id_sealed, id_masked, household_no, name,"
                " relation, birth_date, sex, labour, health, schooling, insured)"
                " SELECT county_code, sha256(id_hmac || '{tag}'::bytea), id_sealed, id_masked, {hh}, name,"
                " relation, birth_date, sex, labour, health, schooling, insured FROM ledger_members"
                " WHERE household_no IN ('%s', '%s')" % (hh, other))
        members = fp.sql(ci, 'SELECT count(*) FROM ledger_members')
        refused(copy.format(tag='a', hh="'NOSUCH'"))
        # one orphan among good rows: the statement is refused whole
        refused(copy.format(tag='b', hh="CASE WHEN household_no = '%s' THEN household_no ELSE 'NOSUCH' END" % hh))
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_members'), members)
        fp.sql(ci, copy.format(tag='c', hh='household_no'))  # into households the ledger holds: accepted
        refused("UPDATE ledger_members SET household_no = 'NOSUCH' WHERE household_no = '%s'" % hh)
        refused("UPDATE ledger_members SET county_code = '130821' WHERE household_no = '%s'" % hh)
        refused("DELETE FROM ledger_households WHERE household_no = '%s'" % hh)
        refused("UPDATE ledger_households SET household_no = 'RENUMBERED' WHERE household_no = '%s'" % hh)
        fp.sql(ci, "UPDATE ledger_members SET household_no = '%s' WHERE household_no = '%s'" % (other, hh))
        fp.sql(ci, "DELETE FROM ledger_households WHERE household_no = '%s'" % hh)  # empty now: may go
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM ledger_members m WHERE NOT EXISTS (SELECT 1 FROM"
                                    " ledger_households h WHERE h.county_code = m.county_code"
                                    " AND h.household_no = m.household_no)"), [('0',)])

    def test_file_broken_at_its_end_changes_nothing(self):
        """The lines are staged while the file is read: a CSV error on the last line rolls back
        every line before it."""
        ci = fp.county_db('ledger_broken')
        path = self.path('broken.csv')
        write_rows(path, self.header, self.rows)
        with open(path, 'ab') as f:
            f.write(b'X1,"130822112201\r\n')  # a quote still open where the file ends
        out = fp.ctl(['ledger', 'import', path], ci, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn('%s:%d:' % (path, len(self.rows) + 2), out.stderr)
        self.assertIn('nothing was imported', out.stderr)
        self.assertEqual(fp.sql(ci, 'SELECT (SELECT count(*) FROM ledger_households),'
                                    ' (SELECT count(*) FROM ledger_members)'), [('0', '0')])
        # GBK broken in its middle: not text at all
        gbk = self.path('broken-gbk.csv')
        write_rows(gbk, self.header, self.rows, encoding='gbk')
        with open(gbk, 'r+b') as f:
            f.seek(os.path.getsize(gbk) // 2)
            f.write(b'\x81\x20\x81\x20')  # a GBK lead byte then a space: not GB18030
        out = fp.ctl(['ledger', 'import', gbk], ci, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn('neither UTF-8 nor GBK', out.stderr)
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_members'), [('0',)])

    def import_peak(self, ci, path):
        """`fangpinctl ledger import --no-quality path`: the process and its peak resident size."""
        env = dict(os.environ, FANGPIN_PG=ci, FANGPIN_DATA_KEY=fp.data_key())
        with open(path + '.out', 'w+') as out, open(path + '.err', 'w+') as err:
            p = subprocess.Popen([os.path.join(fp.BUILD, 'fangpinctl'), 'ledger', 'import', '--no-quality', path],
                                 env=env, stdout=out, stderr=err)
            _, status, usage = os.wait4(p.pid, 0)  # this child's own peak, not the other tests'
            p.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            proc = subprocess.CompletedProcess([], p.returncode, out.read(), err.read())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc, usage.ru_maxrss * 1024  # kB on Linux

    def test_memory_does_not_grow_with_the_file(self):
        """The import reads the file in pieces and streams the lines to PostgreSQL: a 120 MB file
        (the small census with a 400 kB remark column, which the import ignores) takes about the
        peak resident size the 0.2 MB file takes (the whole-file reader held it twice: 240 MB
        more). Sizes, not times: the bound is a quarter of the file."""
        ci = fp.county_db('ledger_memory')
        path = self.path('wide.csv')
        pad = 'x' * (400 * 1024)
        with open(path, 'w', encoding='utf-8', newline='') as f:
            w = csv.writer(f, lineterminator='\r\n')
            w.writerow(self.header + ['备注'])
            for r in self.rows:
                w.writerow(r + [pad])
        size = os.path.getsize(path)
        self.assertGreater(size, 120 * 1000 * 1000)
        wide, wide_peak = self.import_peak(ci, path)
        self.assertEqual(counts(wide, 'members')[1], len(self.rows))
        small, small_peak = self.import_peak(ci, self.small)
        self.assertEqual(counts(small, 'members')[3], len(self.rows))
        self.assertLess(wide_peak - small_peak, size // 4,
                        'peak resident size %d bytes for a %d-byte file, %d for %d bytes'
                        % (wide_peak, size, small_peak, os.path.getsize(self.small)))

    def test_next_quarter_member_gone_and_newborn(self):
        ci = fp.county_db('ledger_quarter')
        fp.ctl(['ledger', 'import', self.small], ci)
        c = self.col
        rows = [list(r) for r in self.rows]
        for r in rows:
            r[c['调查期']] = '2026Q4'
        big = [h for h in self.households if sum(1 for r in rows if r[0] == h) >= 3]
        gone_hh, birth_hh = big[0], big[1]
        gone_i = [i for i, r in enumerate(rows) if r[0] == gone_hh and r[c['与户主关系']] != '户主'][0]
        gone_id = rows[gone_i][c['身份证号']]
        del rows[gone_i]
        # a baby born after the Q3 survey began
        first17 = '130822' + '20260815' + '123'
        w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        baby_id = first17 + '10X98765432'[sum(int(d) * k for d, k in zip(first17, w)) % 11]
        proto = next(r for r in rows if r[0] == birth_hh)
        baby = list(proto)
        for k, v in (('姓名', '王小宝'), ('身份证号', baby_id), ('与户主关系', '之子'), ('性别', '男'),
                     ('出生日期', '2026-08-15'), ('劳动能力', '无劳动力'), ('健康状况', '健康'),
                     ('在校情况', '学龄前儿童'), ('是否参保', '是'), ('残疾等级', '')):
            baby[c[k]] = v
        rows.append(baby)
        q4 = self.path('q4.csv')
        write_rows(q4, self.header, rows)
        out = fp.ctl(['ledger', 'import', q4], ci)
        nh = len(self.households)
        self.assertEqual(counts(out, 'households')[2], nh)  # re-surveyed: every household has the new period
        self.assertEqual(counts(out, 'members'), (len(rows), 1, 0, len(rows) - 1, 0))
        self.assertIn('left_on set): 1', out.stdout)
        self.assertEqual(fp.sql(ci, "SELECT household_no, left_on, left_reason FROM ledger_members"
                                    " WHERE id_hmac = '%s'" % fp.id_hmac(gone_id)),
                         [(gone_hh, '2026-10-01', 'not_in_census:2026Q4')])
        self.assertEqual(fp.sql(ci, 'SELECT household_no, id_hmac, kind, event_on, source FROM ledger_events'
                                    ' ORDER BY kind'),
                         [(birth_hh, fp.id_hmac(baby_id), 'birth', '2026-10-01', 'census'),
                          (gone_hh, fp.id_hmac(gone_id), 'move_out', '2026-10-01', 'census')])
        # the same census again: nothing changes, no second event
        before = self.snapshot(ci)
        again = fp.ctl(['ledger', 'import', q4], ci)
        self.assertEqual(counts(again, 'members'), (len(rows), 0, 0, len(rows), 0))
        self.assertEqual(self.snapshot(ci), before)
        self.assertEqual(fp.sql(ci, 'SELECT count(*) FROM ledger_events'), [('2',)])
        # the older census is not allowed to overwrite the newer one
        old = fp.ctl(['ledger', 'import', self.small], ci, check=False)
        self.assertEqual(old.returncode, 1)
        self.assertEqual({v[1] for v in results(self.small).values()}, {'period.older'})
        self.assertEqual(self.snapshot(ci), before)

    def zero_income(self, name):
        """A copy of the small file whose first household has no income at all (Q052, docs/quality-checks.md)."""
        amounts = [i for n, i in self.col.items() if n.endswith('(元)')]
        hh = self.households[0]
        rows = [[('0' if i in amounts else v) for i, v in enumerate(r)] if r[0] == hh else r for r in self.rows]
        path = self.path(name)
        write_rows(path, self.header, rows)
        return path, hh

    def test_import_runs_the_quality_checks(self):
        ci = fp.county_db('ledger_quality')
        path, hh = self.zero_income('zero-income.csv')
        out = fp.ctl(['ledger', 'import', path], ci, env={'FANGPIN_TODAY': '2026-10-01'})
        self.assertIn('data-quality run after the import', out.stdout)
        self.assertRegex(out.stdout, r'run \d+ of county 130822 on 2026-10-01')
        runs = fp.sql(ci, 'SELECT id, county_code, reason, actor, on_day FROM quality_runs')
        self.assertEqual([r[1:] for r in runs], [('130822', 'ledger_import', 'fangpinctl ledger import', '2026-10-01')])
        self.assertEqual(fp.sql(ci, "SELECT state, first_run FROM quality_findings"
                                    " WHERE rule_code = 'Q052' AND household_no = '%s'" % hh), [('open', runs[0][0])])
        self.assertEqual(fp.sql(ci, "SELECT count(*) FROM events WHERE type = 'finding.opened'"
                                    " AND payload->>'household_no' = '%s' AND payload->>'rule' = 'Q052'" % hh),
                         [('1',)])
        # the import committed before the run: a run that fails leaves the ledger imported
        fp.sql(ci, "UPDATE policy_params SET effective_from = '2027-01-01' WHERE name = 'quality_spouse_min_age'")
        p = fp.ctl(['ledger', 'import', self.small], ci, check=False, env={'FANGPIN_TODAY': '2026-10-01'})
        self.assertEqual(p.returncode, 1)
        self.assertIn('fangpinctl quality run:', p.stderr)
        self.assertEqual(counts(p, 'households')[2], 1, 'the fixed household was not updated')
        self.assertEqual(fp.sql(ci, "SELECT net_income_fen > 0 FROM ledger_households WHERE household_no = '%s'" % hh),
                         [('t',)])

    def test_no_quality_skips_the_run(self):
        ci = fp.county_db('ledger_no_quality')
        path, _ = self.zero_income('zero-income-nq.csv')
        out = fp.ctl(['ledger', 'import', '--no-quality', path], ci, env={'FANGPIN_TODAY': '2026-10-01'})
        self.assertNotIn('data-quality run', out.stdout)
        self.assertEqual(counts(out, 'households')[1], len(self.households))
        self.assertEqual(fp.sql(ci, 'SELECT (SELECT count(*) FROM quality_runs), (SELECT count(*) FROM events)'),
                         [('0', '0')])

    def test_usage(self):
        ci = fp.county_db('ledger_usage')
        self.assertEqual(fp.ctl(['ledger'], ci, check=False).returncode, 2)
        self.assertEqual(fp.ctl(['ledger', 'import'], ci, check=False).returncode, 2)
        self.assertEqual(fp.ctl(['ledger', 'import', '--bogus', self.small], ci, check=False).returncode, 2)
        missing = self.path('missing-cols.csv')
        write_rows(missing, self.header[:5], [r[:5] for r in self.rows])
        p = fp.ctl(['ledger', 'import', missing], ci, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn('姓名', p.stderr)


if __name__ == '__main__':
    fp.main()
