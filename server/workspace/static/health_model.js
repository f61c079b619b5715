/* The health model page's chart: churn rate per band (current, and proposed in a preview),
   drawn with the vendored Chart.js from <script type="application/json" id="health-chart-data">.
   No server calls; labels come from the data, never parsed as HTML. */
(function () {
  "use strict";
  var source = document.getElementById("health-chart-data");
  var canvas = document.querySelector("canvas[data-health-chart]");
  if (!source || !canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var COLORS = ["#2456d3", "#f79009"];
  Chart.defaults.animation = false;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels.map(function (b) { return b.replace("_", " "); }),
      datasets: data.series.map(function (s, i) {
        return { label: s.label + " settings", backgroundColor: COLORS[i % COLORS.length],
                 data: s.values.map(function (v) { return v === null ? null : v * 100; }) };
      })
    },
    options: {
      maintainAspectRatio: false,
      plugins: { tooltip: { callbacks: { label: function (ctx) {
        return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "n/a" : ctx.parsed.y.toFixed(1) + "%");
      } } } },
      scales: { x: { title: { display: true, text: "Band on the observation day" } },
                y: { beginAtZero: true, max: 100, title: { display: true, text: "Churned (%)" },
                     ticks: { callback: function (v) { return v + "%"; } } } }
    }
  });
})();
