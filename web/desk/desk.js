/* desk.js: the department desk (docs/desk.md). FP (web/common/fangpin.js) keeps the token,
 * shows the login form and sends every request with Authorization: Bearer; no token and no ID
 * number ever goes into a URL. The file is sent as the request's body; the results file is the
 * same file sent again to api/results (the service stores no file: the same batches are answered
 * from what it stored, nothing changes). */
(function () {
  "use strict";

  var STATUS_ZH = {
    pending: "待筛查", verifying: "核实中", identified: "已纳入监测",
    not_included: "未纳入", unmatched: "未匹配"
  };
  var STATE_ZH = {
    on_time: "本部门已按时报送", late: "本部门逾期报送", missing: "本部门尚未报送，已逾期",
    not_due: "本部门尚未报送，未到截止日期"
  };
  var lastUpload = null; /* {file, query} of the upload shown */

  function $(id) { return document.getElementById(id); }

  function fail(el, err) {
    el.className = "error";
    el.textContent = "出错了 Error: " + (err && err.message ? err.message : String(err));
  }

  /* ---- the deadline: of the month a department pushes now (the service's today) ---- */
  function showDeadline() {
    return FP.json("api/deadline").then(function (d) {
      if (!$("period").value) $("period").value = d.period;
      if (!$("leads-month").value) $("leads-month").value = d.period;
      var el = $("deadline");
      el.innerHTML = FP.esc(d.period) + " 月的线索须在 <strong>" + FP.esc(d.deadline) +
        "</strong> 前报送（今天 " + FP.esc(d.today) + "）。 " +
        '<span class="' + FP.esc(d.state) + '">' + FP.esc(STATE_ZH[d.state] || d.state) + "</span>" +
        (d.batches ? "：" + d.batches + " 个批次，接收 " + d.leads_accepted + " 条。" : "");
      return d;
    }).catch(function (e) { fail($("deadline"), e); });
  }

  /* ---- an upload ---- */
  function query() {
    var q = "period=" + encodeURIComponent($("period").value);
    var p = $("profile").value.trim();
    if (p) q += "&profile=" + p; /* NAME[@N]: ASCII, checked by the field's pattern */
    return q;
  }

  function lineRow(l) {
    var cls = l.result === "rejected" ? "refused" : l.result;
    return '<tr class="' + FP.esc(cls) + '"><td>' + l.line + "</td><td>" + FP.esc(l.ref) + "</td><td>" +
      FP.esc(l.name_masked) + "</td><td>" + FP.esc(l.id_masked) + '</td><td class="result">' +
      FP.esc(l.result_zh) + "</td><td>" + FP.esc(l.reason_zh) + "</td><td>" + FP.esc(l.code) + "</td><td>" +
      (l.lead_id ? l.lead_id : "") + "</td></tr>";
  }

  function showLines(r) {
    var c = r.counts;
    $("counts").textContent = "共 " + c.lines + " 行：接收 " + c.accepted + " 条，此前已接收 " + c.duplicate +
      " 条，退回 " + c.rejected + " 条" + (c.failed ? "，未获答复 " + c.failed + " 条（请稍后重新上传同一文件）" : "") +
      "。 (" + c.lines + " lines: " + c.accepted + " accepted, " + c.duplicate + " already received, " +
      c.rejected + " refused" + (c.failed ? ", " + c.failed + " without an answer" : "") + ")";
    $("lines").querySelector("tbody").innerHTML = r.lines.map(lineRow).join("");
    $("result").hidden = false;
  }

  function upload(ev) {
    ev.preventDefault();
    var file = $("file").files[0];
    if (!file) return;
    var status = $("upload-status"), q = query();
    status.className = "";
    status.textContent = "正在上传并校验 " + file.name + " …… Uploading";
    $("upload").disabled = true;
    FP.json("api/upload?" + q, { method: "POST", body: file }).then(function (r) {
      lastUpload = { file: file, query: q };
      status.textContent = file.name + "：已处理（" + r.encoding + (r.profile ? "，方案 " + r.profile : "") +
        "，" + r.batches.length + " 个批次）。同一文件再次上传不会重复报送。";
      showLines(r);
      showDeadline();
      if ($("leads-month").value === r.period) showLeads();
    }).catch(function (e) { fail(status, e); }).then(function () { $("upload").disabled = false; });
  }

  function download(format) {
    if (!lastUpload) return;
    var name = lastUpload.file.name.replace(/\.(csv|xlsx)$/i, "") + ".results." + format;
    FP.download("api/results?format=" + format + "&" + lastUpload.query, name,
      { method: "POST", body: lastUpload.file }).catch(function (e) { fail($("upload-status"), e); });
  }

  /* ---- earlier leads ---- */
  function leadRow(l) {
    return "<tr><td>" + l.lead_id + "</td><td>" + FP.esc(l.line_ref) + "</td><td>" +
      FP.esc(l.kind_zh || l.kind) + "</td><td>" + FP.esc(l.name_masked) + "</td><td>" + FP.esc(l.id_masked) +
      "</td><td>" + FP.esc(l.village) + "</td><td>" + FP.esc(l.occurred_on) + '</td><td class="status ' +
      FP.esc(l.status) + '">' + FP.esc(STATUS_ZH[l.status] || l.status) + "</td><td>" + FP.esc(l.reason) +
      "</td></tr>";
  }

  function showLeads(ev) {
    if (ev) ev.preventDefault();
    var month = $("leads-month").value;
    FP.json("api/leads?month=" + encodeURIComponent(month)).then(function (r) {
      var c = r.counts;
      $("leads-counts").textContent = month + "：共 " + r.leads.length + " 条；待筛查 " + c.pending + "，核实中 " +
        c.verifying + "，已纳入监测 " + c.identified + "，未纳入 " + c.not_included + "，未匹配 " + c.unmatched +
        (r.next_after ? "（仅列出前 " + r.leads.length + " 条）" : "");
      $("leads").querySelector("tbody").innerHTML = r.leads.map(leadRow).join("");
    }).catch(function (e) { fail($("leads-counts"), e); });
  }

  FP.start(function () {
    $("desk").hidden = false;
    $("upload-form").addEventListener("submit", upload);
    $("leads-form").addEventListener("submit", showLeads);
    $("download-xlsx").addEventListener("click", function () { download("xlsx"); });
    $("download-csv").addEventListener("click", function () { download("csv"); });
    $("only-refused").addEventListener("change", function () {
      $("lines").classList.toggle("only-refused", this.checked);
    });
    showDeadline().then(function () { showLeads(); });
  }, { title: "行业部门报送台" });
})();
