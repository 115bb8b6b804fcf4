/* Hover or tap read-out for the charts: time, direction and the value of each panel. */
(function () {
  "use strict";
  function clock(s) {
    s = Math.round(s);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(sec).padStart(2, "0");
  }
  document.querySelectorAll("svg.chart").forEach(function (chart) {
    var source = document.getElementById(chart.id + "-data");
    var out = document.getElementById(chart.id + "-readout");
    var cursor = chart.querySelector(".cursor");
    var hover = chart.querySelector(".hover");
    if (!source || !out || !cursor || !hover) { return; }
    var data = JSON.parse(source.textContent);
    function show(evt) {
      var pt = chart.createSVGPoint();
      pt.x = evt.clientX;
      pt.y = evt.clientY;
      var p = pt.matrixTransform(chart.getScreenCTM().inverse());
      var t = data.t0 + (p.x - data.x0) / (data.x1 - data.x0) * (data.t1 - data.t0);
      var lo = 0, hi = data.t.length - 1;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        if (data.t[mid] < t) { lo = mid; } else { hi = mid; }
      }
      var i = Math.abs(data.t[lo] - t) <= Math.abs(data.t[hi] - t) ? lo : hi;
      var x = data.x0 + (data.t[i] - data.t0) / (data.t1 - data.t0) * (data.x1 - data.x0);
      cursor.setAttribute("x1", x);
      cursor.setAttribute("x2", x);
      cursor.setAttribute("visibility", "visible");
      var parts = [clock(data.t[i]), data.dir[i]];
      data.series.forEach(function (s) {
        var v = s.v[i];
        parts.push(s.label + " " + (v === null ? "–" : v.toFixed(s.decimals)));
      });
      out.textContent = parts.join(" · ");
    }
    hover.addEventListener("pointermove", show);
    hover.addEventListener("pointerdown", show);
  });
})();
