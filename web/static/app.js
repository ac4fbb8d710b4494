// 千村考核 pages: charts from the figures the page already holds (data-* attributes; the
// tables show the same figures without JavaScript), and drag-and-drop on the upload form.
(function () {
  "use strict";
  var palette = ["#1d5fa8", "#b3261e", "#0f7b3f", "#a86a00", "#6b4fa0", "#00838f", "#5d6d7e"];
  var gradeColours = { "优秀": "#0f7b3f", "称职": "#1d5fa8", "基本称职": "#a86a00", "不称职": "#b3261e" };

  function charts() {
    if (typeof window.Chart === "undefined") { return; }
    var els = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var type = el.getAttribute("data-chart");
      var labels = JSON.parse(el.getAttribute("data-labels") || "[]");
      var series = JSON.parse(el.getAttribute("data-series") || "[]");
      var datasets = series.map(function (s, j) {
        var colour = palette[j % palette.length];
        if (type === "doughnut") {
          colour = labels.map(function (l, k) { return gradeColours[l] || palette[k % palette.length]; });
        }
        return { label: s.label, data: s.data, backgroundColor: colour, borderWidth: type === "doughnut" ? 1 : 0 };
      });
      new window.Chart(el, {
        type: type,
        data: { labels: labels, datasets: datasets },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { position: type === "doughnut" ? "right" : "top" } },
          scales: type === "bar" ? { y: { beginAtZero: true } } : {}
        }
      });
    }
  }

  function dropzone() {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("file");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (ev) {
      zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { charts(); dropzone(); });
})();
