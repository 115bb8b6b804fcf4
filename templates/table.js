/* Search, category filter and column sorting for the results tables. Works from disk, no network. */
(function () {
  "use strict";
  var q = document.getElementById("q");
  var cat = document.getElementById("cat");
  var count = document.getElementById("count");
  var noMatch = document.getElementById("no-match");
  var form = q && q.form;

  function fold(s) {
    return s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function bodyRows(table) {
    return Array.prototype.slice.call(table.tBodies[0].rows);
  }

  function apply() {
    var terms = q ? fold(q.value).split(/\s+/).filter(Boolean) : [];
    var c = cat ? cat.value : "";
    document.querySelectorAll("table.results").forEach(function (table) {
      var shown = 0;
      var rows = bodyRows(table);
      rows.forEach(function (tr) {
        var text = tr.getAttribute("data-search") || "";
        var ok = (!c || tr.getAttribute("data-cat") === c) && terms.every(function (t) { return text.indexOf(t) >= 0; });
        tr.hidden = !ok;
        if (ok) { shown += 1; }
      });
      table.setAttribute("data-shown", String(shown));
      var section = table.closest("section.category");
      if (section) {
        section.hidden = shown === 0;
      }
      if (table.id === "overall-table") {
        if (count) {
          count.textContent = shown === rows.length ? rows.length + " runners" : "Showing " + shown + " of " + rows.length + " runners";
        }
        if (noMatch) { noMatch.hidden = shown !== 0; }
      }
    });
  }

  if (q) { q.addEventListener("input", apply); }
  if (cat) { cat.addEventListener("change", apply); }
  if (form) { form.addEventListener("submit", function (e) { e.preventDefault(); apply(); }); }

  function sortValue(tr, i, numeric) {
    var cell = tr.cells[i];
    var v = cell ? (cell.getAttribute("data-sort") || "") : "";
    if (v === "") { return null; }
    if (numeric) {
      var n = parseFloat(v);
      return isNaN(n) ? null : n;
    }
    return v.toLowerCase();
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, i) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var numeric = th.getAttribute("data-type") === "num";
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(headers, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = bodyRows(table).map(function (tr, k) { return { tr: tr, k: k, v: sortValue(tr, i, numeric) }; });
        rows.sort(function (a, b) {
          if (a.v === null || b.v === null) {
            /* Rows without a value (DNF, DNS...) stay at the bottom either way. */
            if (a.v === b.v) { return a.k - b.k; }
            return a.v === null ? 1 : -1;
          }
          var d = numeric ? a.v - b.v : a.v.localeCompare(b.v);
          if (d === 0) { return a.k - b.k; }
          return asc ? d : -d;
        });
        var body = table.tBodies[0];
        rows.forEach(function (r) { body.appendChild(r.tr); });
      });
    });
  });
  apply();
})();
