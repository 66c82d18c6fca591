/* dash.js: the dashboard (大屏, docs/dashboard.md). It shows what /dash/api/ answers (the reports'
 * own SQL) and counts nothing itself; the token is fangpin.js's (FP), sent in a header only. */
(function () {
  'use strict';
  var S = { home: '', region: '', month: '', quarter: '', charts: {}, reports: [], reload: 0, seq: 0 };
  var KINDS = [['ul_hh', '脱贫不稳定户'], ['mg_hh', '边缘易致贫户'], ['sh_hh', '突发严重困难户']];
  var CHILD_COLS = [['mon_hh', '监测户'], ['mon_people', '监测人数'], ['elim_hh', '本季度消除户'],
    ['received', '本月线索'], ['overdue_leads', '超期线索'], ['open_cases', '在办案件'],
    ['overdue_cases', '超期案件'], ['plans_with_findings', '计划有问题']];

  function $(sel) { return document.querySelector(sel); }
  function num(v) { return v === null || v === undefined ? '–' : Number(v).toLocaleString('zh-CN'); }
  function qs(o) { return new URLSearchParams(o).toString(); }
  function periods() { return { region: S.region, month: S.month, quarter: S.quarter }; }
  function setK(key, v) { $('[data-k="' + key + '"]').textContent = num(v); }

  function chart(id) {
    if (!S.charts[id]) S.charts[id] = echarts.init(document.getElementById(id), 'dark');
    return S.charts[id];
  }

  function bars(id, names, series, onClick) {
    var c = chart(id), turn = names.some(function (n) { return n.split('\n')[0].length > 5; });
    c.setOption({
      backgroundColor: 'transparent', animation: false, tooltip: { trigger: 'axis' },
      legend: { show: series.length > 1 }, grid: { left: 48, right: 12, top: series.length > 1 ? 28 : 12, bottom: 70 },
      xAxis: { type: 'category', data: names, axisLabel: { rotate: turn ? 35 : 0, interval: 0, fontSize: 12 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: series.map(function (s) { return { type: 'bar', name: s[0], data: s[1] }; })
    }, true);
    c.off('click');
    if (onClick) c.on('click', function (p) { onClick(p.dataIndex); });
  }

  function pie(id, items) {
    chart(id).setOption({
      backgroundColor: 'transparent', animation: false, tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['35%', '70%'], data: items, label: { formatter: '{b}\n{c}' } }]
    }, true);
  }

  function kpis(s) {
    var t = s.scale.total;
    setK('mon_hh', t.mon_hh); setK('mon_people', t.mon_people); setK('elim_hh', t.elim_hh);
    setK('cases_open', s.cases.open); setK('cases_overdue', s.cases.overdue);
    setK('plans_with_findings', s.plans.with_findings);
    setK('received', s.leads ? s.leads.total.received : null);
    setK('late', s.late ? s.late.total.late : null);
  }

  function charts(s) {
    var t = s.scale.total;
    pie('chart-kinds', KINDS.map(function (k) { return { name: k[1], value: t[k[0]] }; }));
    bars('chart-risks', s.risks.map(function (r) { return r.name_zh; }),
      [['户数', s.risks.map(function (r) { return r.hh; })]]);
    bars('chart-cases', s.cases.steps.map(function (r) { return r.name_zh + '\n' + r.level_zh; }),
      [['在办', s.cases.steps.map(function (r) { return r.open; })],
       ['超期', s.cases.steps.map(function (r) { return r.overdue; })]]);
    var d = s.leads ? s.leads.rows : [];
    bars('chart-depts', d.map(function (r) { return r.label; }),
      [['接收', d.map(function (r) { return r.received; })], ['超期', d.map(function (r) { return r.overdue; })]]);
  }

  function rows(sel, list, cells) {
    $(sel + ' tbody').innerHTML = list.map(function (r) {
      return '<tr>' + cells(r).map(function (c) { return '<td>' + FP.esc(String(c)) + '</td>'; }).join('') + '</tr>';
    }).join('');
  }

  function tables(s) {
    var late = s.late ? s.late.rows : [];
    $('#late caption').textContent = s.late ? (late.length ? '逾期单位 late' : '本月无逾期部门 none late') : '';
    rows('#late', late, function (r) {
      return [r.label, '截止 ' + r.due_on, r.done_on ? '完成 ' + r.done_on : '未完成', '逾期 ' + r.days_late + ' 天'];
    });
    rows('#checks', s.plans.checks, function (r) { return [r.id + ' ' + r.name_zh, num(r.plans) + ' 户']; });
  }

  function crumbs(region) {
    var path = region.path.filter(function (p) { return p.code.length >= S.home.length; });
    $('#crumbs').innerHTML = path.map(function (p, i) {
      var tag = i === path.length - 1 ? 'span' : 'a';
      return '<' + tag + ' data-code="' + FP.esc(p.code) + '">' + FP.esc(p.name) + '</' + tag + '>';
    }).join('');
    $('#region-name').textContent = region.name;
  }

  function summary(s) {
    S.month = s.month; S.quarter = s.quarter;
    $('#month').value = s.month;
    quarters(s.quarter);
    $('#asof').textContent = '数据日期 ' + s.today + (s.scale.frozen ? '（季度报表已封存 frozen）' : '');
    crumbs(s.region); kpis(s); charts(s); tables(s);
    document.body.dataset.loaded = s.region.code + '/' + s.month + '/' + s.quarter;
  }

  function quarters(current) {
    var sel = $('#quarter'), y = +current.slice(0, 4), q = +current.slice(5), out = [];
    for (var i = 0; i < 8; i++, q--) {
      if (q === 0) { q = 4; y--; }
      out.push(y + 'Q' + q);
    }
    if (out.indexOf(current) < 0) out.unshift(current);
    sel.innerHTML = out.map(function (p) { return '<option>' + p + '</option>'; }).join('');
    sel.value = current;
  }

  function children(list) {
    $('#children thead').innerHTML = '<tr><th>区划</th>' + CHILD_COLS.map(function (c) {
      return '<th>' + c[1] + '</th>'; }).join('') + '</tr>';
    $('#children tbody').innerHTML = list.map(function (r) {
      return '<tr class="down" data-code="' + FP.esc(r.code) + '"><td>' + FP.esc(r.name) + '</td>' +
        CHILD_COLS.map(function (c) { return '<td data-c="' + c[0] + '">' + num(r[c[0]]) + '</td>'; }).join('') + '</tr>';
    }).join('');
    bars('chart-children', list.map(function (r) { return r.name; }),
      [['监测户', list.map(function (r) { return r.mon_hh; })], ['在办案件', list.map(function (r) { return r.open_cases; })]],
      function (i) { go(list[i].code); });
  }

  function failed(where, err) {
    $('#asof').textContent = where + '：' + (err && err.message ? err.message : err);
  }

  /* Only the latest view's answers are shown: a refresh still on its way when the user drills
   * down must not overwrite the new region with the old one. */
  function latest(show) {
    var seq = ++S.seq;
    return function (data) { if (seq === S.seq) show(data); };
  }

  function load() {
    var last = latest(function (both) { summary(both[0]); children(both[1]); });
    Promise.all([FP.json('api/summary?' + qs(periods())), FP.json('api/children?' + qs(periods()))])
      .then(last).catch(function (e) { failed('总览', e); });
  }

  function go(code) {
    if (code.length === 12 && S.region.length === 12) return;
    S.region = code;
    location.hash = code;
    load();
  }

  function later() {
    if (S.reload) return;
    S.reload = setTimeout(function () { S.reload = 0; load(); }, 5000);
  }

  function tick(ev) {
    var d = ev.data || {}, li = document.createElement('li');
    li.className = 'new';
    li.dataset.type = ev.type; li.dataset.position = ev.id;
    li.dataset.created = d.created_at_ms; li.dataset.seen = Date.now();
    li.innerHTML = '<time>' + FP.esc(new Date(d.created_at_ms).toLocaleTimeString('zh-CN')) + '</time>' +
      FP.esc(ev.type) + ' <small>' + FP.esc(d.region || '') + '</small>';
    var list = $('#ticker');
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 30) list.removeChild(list.lastChild);
    setTimeout(function () { li.className = ''; }, 3000);
    if (ev.type !== 'HEARTBEAT') later();
  }

  function tickerState(open, text) {
    $('#ticker-state').textContent = text;
    document.body.dataset.ticker = open ? 'open' : 'closed';
  }

  function ticker() {
    tickerState(false, '连接中 connecting');
    FP.events('../events?' + qs({ region: S.home, from: '' }), tick, {
      onOpen: function () { tickerState(true, '● 实时 live'); },
      onDrop: function () { tickerState(false, '重新连接中 reconnecting'); }
    });
  }

  function reportPeriod(code) {
    var r = S.reports.filter(function (x) { return x.code === code; })[0];
    return r && r.per === 'quarter' ? S.quarter : S.month;
  }

  function reportList(list) {
    S.reports = list;
    $('#report').innerHTML = list.map(function (r) {
      return '<option value="' + FP.esc(r.code) + '">' + FP.esc(r.name_zh) + '</option>'; }).join('');
    $('#report-period').value = reportPeriod($('#report').value);
  }

  function reportArgs() {
    return { report: $('#report').value, region: S.region, period: $('#report-period').value };
  }

  function reportTable(rep) {
    var cols = rep.columns;
    $('#report-table thead').innerHTML = '<tr><th>' + FP.esc(rep.first) + '</th>' + cols.map(function (c) {
      return '<th>' + FP.esc(c.title) + '</th>'; }).join('') + '</tr>';
    $('#report-table tbody').innerHTML = rep.rows.map(function (r) {
      return '<tr class="' + FP.esc(r.kind) + '" data-code="' + FP.esc(r.code) + '"><td>' + FP.esc(r.label) + '</td>' +
        cols.map(function (c) { return '<td data-c="' + FP.esc(c.key) + '">' + FP.esc(String(r[c.key])) + '</td>'; }).join('') +
        '</tr>';
    }).join('');
  }

  function reportChart(rep) {
    var col = rep.columns.filter(function (c) { return c.numeric; })[0];
    var list = rep.rows.filter(function (r) { return r.kind !== 'total' && r.kind !== 'subtotal'; });
    bars('chart-report', list.map(function (r) { return r.label.trim(); }),
      [[col ? col.title : '', list.map(function (r) { return col ? r[col.key] : 0; })]]);
  }

  function report(ev) {
    if (ev) ev.preventDefault();
    $('#report-state').textContent = '…';
    FP.json('api/report?' + qs(reportArgs())).then(function (rep) {
      reportTable(rep); reportChart(rep);
      $('#report-state').textContent = rep.name_zh + ' ' + rep.period + (rep.frozen ? ' 已封存 frozen' : ' 实时 live');
      document.body.dataset.report = rep.report + '/' + rep.region.code + '/' + rep.period;
    }).catch(function (e) { $('#report-state').textContent = e && e.message ? e.message : String(e); });
  }

  function download(format) {
    var a = reportArgs();
    FP.download('../reports/' + encodeURIComponent(a.report) + '?' + qs({ region: a.region, period: a.period, format: format }),
      a.report + '-' + a.region + '-' + a.period + '.' + format);
  }

  function wire() {
    $('#crumbs').addEventListener('click', function (e) { if (e.target.dataset.code) go(e.target.dataset.code); });
    $('#children tbody').addEventListener('click', function (e) {
      var tr = e.target.closest('tr'); if (tr) go(tr.dataset.code); });
    $('#month').addEventListener('change', function () { S.month = this.value; load(); });
    $('#quarter').addEventListener('change', function () { S.quarter = this.value; load(); });
    $('#report').addEventListener('change', function () { $('#report-period').value = reportPeriod(this.value); });
    $('#report-form').addEventListener('submit', report);
    $('#dl-csv').addEventListener('click', function () { download('csv'); });
    $('#dl-xlsx').addEventListener('click', function () { download('xlsx'); });
    window.addEventListener('resize', function () {
      Object.keys(S.charts).forEach(function (k) { S.charts[k].resize(); }); });
  }

  /* Called at each login (also after a logout in the same page): the region kept in the
   * address's fragment when it is inside the new token's, else the token's. */
  function ready(who) {
    var hash = location.hash.slice(1);
    S.home = who.region || '';
    S.region = /^[0-9]{2,12}$/.test(hash) && hash.indexOf(S.home) === 0 ? hash : S.home;
    $('#dash').hidden = false;
    if (!S.wired) wire();
    S.wired = true;
    FP.json('api/reports').then(reportList);
    load();
    ticker();
  }

  document.addEventListener('DOMContentLoaded', function () { FP.start(ready); });
})();
