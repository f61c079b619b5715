/* The workspace charts, drawn with the vendored Chart.js from the JSON the page carries in
   <script type="application/json" id="chart-data">. Each <canvas data-chart="NAME"> gets the
   chart of that name. No server calls; labels come from the data, never parsed as HTML. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var cur = data.currency || "";
  var COLORS = { good: "#12b76a", watch: "#f79009", at_risk: "#d92d20", unknown: "#98a2b3",
                 blue: "#2456d3", grey: "#667085" };
  Chart.defaults.animation = false;
  Chart.defaults.font.size = 12;
  Chart.defaults.color = "#344054";
  Chart.defaults.maintainAspectRatio = false;

  function money(v) {
    var n = Math.round(Number(v));
    return (n < 0 ? "-" : "") + Math.abs(n).toLocaleString("en-US");
  }
  function axis(title, extra) {
    var o = { title: { display: true, text: title } };
    for (var k in extra || {}) o[k] = extra[k];
    return o;
  }
  function moneyAxis(title) {
    return axis(title + " (" + cur + ")", { beginAtZero: true,
      ticks: { callback: function (v) { return money(v); } } });
  }
  function label(fmt) {
    return { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + fmt(ctx); } } };
  }

  var BUILD = {
    bridge: function (d) {
      return { type: "bar",
        data: { labels: d.labels, datasets: [{ label: "ARR movement", data: d.bars,
          backgroundColor: [COLORS.grey, COLORS.good, COLORS.watch, COLORS.at_risk, COLORS.blue] }] },
        options: { plugins: { legend: { display: false },
            tooltip: label(function (ctx) { return money(d.values[ctx.dataIndex]) + " " + cur; }) },
          scales: { x: axis("Movement over the period"), y: moneyAxis("ARR") } } };
    },
    retention: function (d) {
      return { type: "line",
        data: { labels: d.labels, datasets: [
          { label: "NRR", data: d.nrr, borderColor: COLORS.blue, backgroundColor: COLORS.blue },
          { label: "GRR", data: d.grr, borderColor: COLORS.watch, backgroundColor: COLORS.watch }] },
        options: { spanGaps: true, plugins: { tooltip: label(function (ctx) { return ctx.parsed.y.toFixed(1) + "%"; }) },
          scales: { x: axis("Month end (trailing 12 months)"),
                    y: axis("Retention (%)", { ticks: { callback: function (v) { return v + "%"; } } }) } } };
    },
    bands: function (d) {
      var names = { good: "Good", watch: "Watch", at_risk: "At risk", unknown: "Unknown" };
      var sets = d.series.map(function (s) {  /* a list: the bands keep their order */
        return { label: names[s.band] || s.band, data: s.values, backgroundColor: COLORS[s.band] || COLORS.grey };
      });
      return { type: "bar", data: { labels: d.labels, datasets: sets },
        options: { scales: { x: axis("Month end", { stacked: true }),
                             y: axis("Accounts", { stacked: true, beginAtZero: true, ticks: { precision: 0 } }) } } };
    },
    expansion: function (d) {
      return { type: "bar",
        data: { labels: d.labels, datasets: [{ label: "Expansion", data: d.values, backgroundColor: COLORS.good }] },
        options: { plugins: { legend: { display: false },
            tooltip: label(function (ctx) { return money(ctx.parsed.y) + " " + cur; }) },
          scales: { x: axis("Quarter"), y: moneyAxis("Expansion revenue") } } };
    },
    north_star: function (d) {
      return { type: "bar",
        data: { labels: d.labels, datasets: [{ label: d.name, data: d.values, backgroundColor: COLORS.blue }] },
        options: { plugins: { legend: { display: false } },
          scales: { x: axis("Calendar month of the period"),
                    y: axis(d.name + " (total of the accounts)", { beginAtZero: true, ticks: { precision: 0 } }) } } };
    },
    health: function (d) {
      var band = function (y, name, color) {
        return { label: name, data: d.labels.map(function () { return y; }), borderColor: color,
                 borderDash: [6, 4], borderWidth: 1, pointRadius: 0, fill: false };
      };
      return { type: "line",
        data: { labels: d.labels, datasets: [
          { label: "Health score", data: d.values, borderColor: COLORS.blue, backgroundColor: COLORS.blue, pointRadius: 0 },
          band(d.good, "Good from " + d.good, COLORS.good), band(d.watch, "Watch from " + d.watch, COLORS.watch)] },
        options: { spanGaps: true, plugins: { legend: { labels: { boxWidth: 14, font: { size: 11 } } } },
          scales: { x: axis("Day"), y: axis("Health (0 to 100)", { min: 0, max: 100 }) } } };
    },
    arr: function (d) {
      return { type: "line",
        data: { labels: d.labels, datasets: [{ label: "ARR", data: d.values, stepped: true,
          borderColor: COLORS.good, backgroundColor: COLORS.good, pointRadius: 0 }] },
        options: { spanGaps: true, plugins: { legend: { display: false } },
          scales: { x: axis("Day"), y: moneyAxis("ARR") } } };
    },
    users: function (d) {
      return { type: "line",
        data: { labels: d.labels, datasets: [{ label: "Active users (30 days)", data: d.values,
          borderColor: COLORS.blue, backgroundColor: COLORS.blue, pointRadius: 0 }] },
        options: { spanGaps: true, plugins: { legend: { display: false } },
          scales: { x: axis("Day"), y: axis("Active users, 30 days", { beginAtZero: true, ticks: { precision: 0 } }) } } };
    }
  };

  var canvases = document.querySelectorAll("canvas[data-chart]");
  for (var i = 0; i < canvases.length; i++) {
    var name = canvases[i].getAttribute("data-chart");
    if (data[name] && BUILD[name]) new Chart(canvases[i], BUILD[name](data[name]));
  }
})();
