"""test_regions.py: `fangpinctl regions import` and `regions stats` against a real PostgreSQL,
with the committed fixture tests/fixtures/regions/130822 (兴隆县: 1 province, 1 city, 1 county,
20 townships, 297 villages): counts and known rows, idempotent re-import, a rename updates
exactly one row, bad rows fail the whole import naming file and line, gzip and CRLF/BOM input."""
import gzip
import os
import re
import shutil
import tempfile
import unittest

import fp

FIXTURE = os.path.join(os.environ.get('FANGPIN_SOURCE', '.'), 'tests', 'fixtures', 'regions',
                       '130822')
FILES = ['provinces.csv', 'cities.csv', 'areas.csv', 'streets.csv', 'villages.csv']
LEVEL_COUNTS = [('1', '1'), ('2', '1'), ('3', '1'), ('4', '20'), ('5', '297')]
TOTAL_RE = re.compile(r'^total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$', re.M)


def fixture_paths(folder=FIXTURE):
    return [os.path.join(folder, f) for f in FILES]


def totals(proc):
    """(read, inserted, updated, unchanged) from the import summary."""
    m = TOTAL_RE.search(proc.stdout)
    if not m:
        raise AssertionError('no total line in the import summary:\n' + proc.stdout)
    return tuple(int(x) for x in m.groups())


def snapshot(conninfo):
    return fp.sql(conninfo, 'SELECT code, level, name, parent, county_code, updated_at, xmin'
                            ' FROM regions ORDER BY code')


class RegionsImport(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix='fp-regions-')

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def copy_fixture(self, name):
        """A private copy of the fixture folder, to modify."""
        dst = os.path.join(self.tmp, name)
        shutil.copytree(FIXTURE, dst)
        return dst

    def edit_line(self, path, lineno, fn):
        with open(path, encoding='utf-8', newline='') as f:
            lines = f.read().split('\n')
        lines[lineno - 1] = fn(lines[lineno - 1])
        with open(path, 'w', encoding='utf-8', newline='') as f:
            f.write('\n'.join(lines))

    def test_import_counts_and_rows(self):
        db = fp.fresh_db('regions_counts')
        out = fp.ctl(['regions', 'import'] + fixture_paths(), db)
        self.assertEqual(totals(out), (320, 320, 0, 0))
        self.assertEqual(fp.sql(db, 'SELECT level, count(*) FROM regions GROUP BY level ORDER BY level'),
                         LEVEL_COUNTS)
        row = 'SELECT name, level, coalesce(parent, \'-\'), coalesce(county_code, \'-\') FROM regions WHERE code = \'%s\''
        self.assertEqual(fp.sql(db, row % '13'), [('河北省', '1', '-', '-')])
        self.assertEqual(fp.sql(db, row % '1308'), [('承德市', '2', '13', '-')])
        self.assertEqual(fp.sql(db, row % '130822'), [('兴隆县', '3', '1308', '130822')])
        self.assertEqual(fp.sql(db, row % '130822112'), [('三道河镇', '4', '130822', '130822')])
        self.assertEqual(fp.sql(db, row % '130822200'), [('南天门满族乡', '4', '130822', '130822')])
        self.assertEqual(fp.sql(db, row % '130822112201'),
                         [('花水村民委员会', '5', '130822112', '130822')])
        self.assertEqual(fp.sql(db, "SELECT count(*) FROM regions WHERE parent = '130822112'"),
                         [('18',)])
        stats = fp.ctl(['regions', 'stats', '130822112'], db).stdout
        self.assertIn('三道河镇', stats)
        self.assertRegex(stats, r'(?m)^township\s+1$')
        self.assertRegex(stats, r'(?m)^village\s+18$')
        stats = fp.ctl(['regions', 'stats'], db).stdout
        self.assertRegex(stats, r'(?m)^total\s+320$')

    def test_reimport_changes_nothing(self):
        db = fp.fresh_db('regions_again')
        fp.ctl(['regions', 'import'] + fixture_paths(), db)
        before = snapshot(db)
        # the order of the files does not matter
        out = fp.ctl(['regions', 'import'] + list(reversed(fixture_paths())), db)
        self.assertEqual(totals(out), (320, 0, 0, 320))
        self.assertEqual(snapshot(db), before)  # updated_at and xmin too: no row rewritten

    def test_renamed_village_updates_one_row(self):
        db = fp.fresh_db('regions_rename')
        fp.ctl(['regions', 'import'] + fixture_paths(), db)
        before = {r[0]: r for r in snapshot(db)}
        folder = self.copy_fixture('renamed')
        villages = os.path.join(folder, 'villages.csv')
        self.edit_line(villages, 203, lambda l: l.replace('"鸠儿峪村民委员会"', '"鸠儿峪村"'))
        out = fp.ctl(['regions', 'import'] + fixture_paths(folder), db)
        self.assertEqual(totals(out), (320, 0, 1, 319))
        after = {r[0]: r for r in snapshot(db)}
        changed = sorted(c for c in after if after[c] != before[c])
        self.assertEqual(changed, ['130822112202'])
        self.assertEqual(after['130822112202'][2], '鸠儿峪村')
        self.assertEqual(fp.sql(db, "SELECT updated_at > '%s' FROM regions WHERE code = '130822112202'"
                                % before['130822112202'][5]), [('t',)])

    def test_bad_rows_fail_and_write_nothing(self):
        db = fp.fresh_db('regions_bad')
        fp.ctl(['regions', 'import'] + fixture_paths(), db)
        before = snapshot(db)
        cases = [
            ('code length', 5, lambda l: l.replace('130822100004,', '13082210004,', 1), '12 digits'),
            ('parent mismatch', 7, lambda l: l.replace(',130822100,', ',130822101,', 1), 'streetCode'),
            ('broken quote', 9, lambda l: l.replace('",130822100,', ',130822100,', 1), 'quote'),
        ]
        for what, lineno, edit, reason in cases:
            with self.subTest(what):
                folder = self.copy_fixture(what.replace(' ', '_'))
                streets = os.path.join(folder, 'streets.csv')
                villages = os.path.join(folder, 'villages.csv')
                # a good change in another file, which must not be written either
                self.edit_line(streets, 14, lambda l: l.replace('"三道河镇"', '"三道河乡"'))
                self.edit_line(villages, lineno, edit)
                out = fp.ctl(['regions', 'import'] + fixture_paths(folder), db, check=False)
                self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
                self.assertIn('%s:%d:' % (villages, lineno), out.stderr)
                self.assertIn(reason, out.stderr)
                self.assertIn('nothing was imported', out.stderr)
                self.assertEqual(snapshot(db), before)

    def test_missing_parent_and_duplicate(self):
        db = fp.fresh_db('regions_orphan')
        path = os.path.join(self.tmp, 'villages.csv')
        with open(path, 'w', encoding='utf-8') as f:
            f.write('code,name,streetCode,provinceCode,cityCode,areaCode\n'
                    '130822112201,"花水村民委员会",130822112,13,1308,130822\n')
        out = fp.ctl(['regions', 'import', path], db, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn('%s:2:' % path, out.stderr)
        self.assertIn('130822112', out.stderr)
        out = fp.ctl(['regions', 'import'] + fixture_paths() + [path], db, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn('%s:2: code 130822112201 appears again' % path, out.stderr)
        self.assertEqual(fp.sql(db, 'SELECT count(*) FROM regions'), [('0',)])

    def test_gzip_imports_the_same(self):
        plain = fp.fresh_db('regions_plain')
        fp.ctl(['regions', 'import'] + fixture_paths(), plain)
        zipped = fp.fresh_db('regions_gzip')
        paths = []
        for src in fixture_paths():
            dst = os.path.join(self.tmp, os.path.basename(src) + '.gz')
            with open(src, 'rb') as f, gzip.open(dst, 'wb') as g:
                g.write(f.read())
            paths.append(dst)
        out = fp.ctl(['regions', 'import'] + paths, zipped)
        self.assertEqual(totals(out), (320, 320, 0, 0))
        q = 'SELECT code, level, name, parent, county_code FROM regions ORDER BY code'
        self.assertEqual(fp.sql(zipped, q), fp.sql(plain, q))

    def test_crlf_and_bom_import_the_same(self):
        db = fp.fresh_db('regions_crlf')
        fp.ctl(['regions', 'import'] + fixture_paths(), db)
        before = snapshot(db)
        paths = []
        for src in fixture_paths():
            dst = os.path.join(self.tmp, os.path.basename(src))
            with open(src, 'rb') as f:
                data = f.read()
            with open(dst, 'wb') as f:
                f.write(b'\xef\xbb\xbf' + data.replace(b'\n', b'\r\n'))
            paths.append(dst)
        out = fp.ctl(['regions', 'import'] + paths, db)
        self.assertEqual(totals(out), (320, 0, 0, 320))
        self.assertEqual(snapshot(db), before)

    def test_usage(self):
        db = fp.fresh_db('regions_usage')
        self.assertEqual(fp.ctl(['regions'], db, check=False).returncode, 2)
        self.assertEqual(fp.ctl(['regions', 'import'], db, check=False).returncode, 2)
        self.assertEqual(fp.ctl(['regions', 'stats', '13x'], db, check=False).returncode, 2)


if __name__ == '__main__':
    fp.main()
