/* The dashboard's charts: drawn by Chart.js (served from our own static files) from the figures the
   page embeds with json_script. The tables above and below hold the same numbers, so the page reads
   without this script, without Chart.js, and to a screen reader. */
(function () {
  "use strict";
  var blob = document.getElementById("dashboard-data");
  if (!blob || typeof window.Chart === "undefined") { return; }
  var data = JSON.parse(blob.textContent);
  var green = "#0b6b3a", red = "#b42318", pale = "#7fa98f";

  function pct(value) { return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%"; }
  function canvas(name) {
    var box = document.querySelector('[data-chart="' + name + '"]');
    return box ? box.querySelector("canvas") : null;
  }
  function percentAxis() {
    return { min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } };
  }
  var common = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { tooltip: { callbacks: { label: function (c) { return c.dataset.label + "：" + pct(c.parsed[c.chart.options.indexAxis === "y" ? "x" : "y"]); } } } }
  };
  function options(extra) { return Object.assign({}, common, extra); }

  var dimensions = canvas("dimensions");
  if (dimensions && data.dimensions.length) {
    var sets = [{ type: "bar", label: data.labels.rate, data: data.dimensions.map(function (d) { return d.rate; }), backgroundColor: green }];
    if (data.dimensions.some(function (d) { return d.target !== null; })) {
      sets.push({ type: "line", label: data.labels.target, data: data.dimensions.map(function (d) { return d.target; }),
        borderColor: red, borderDash: [6, 4], pointRadius: 0, fill: false });
    }
    new window.Chart(dimensions, { data: { labels: data.dimensions.map(function (d) { return d.label; }), datasets: sets },
      options: options({ scales: { y: percentAxis() } }) });
  }

  var items = canvas("items");
  if (items && data.items.length) {
    // One bar per item, weakest first: the box grows with the items so labels stay readable.
    items.parentNode.style.height = Math.max(280, 28 * data.items.length + 60) + "px";
    new window.Chart(items, { type: "bar", data: { labels: data.items.map(function (d) { return d.label; }),
      datasets: [{ label: data.labels.correct, data: data.items.map(function (d) { return d.rate; }), backgroundColor: green }] },
      options: options({ indexAxis: "y", scales: { x: percentAxis() }, plugins: Object.assign({}, common.plugins, { legend: { display: false } }) }) });
  }

  var trend = canvas("trend");
  if (trend && data.trend.length) {
    function series(key, label, color, dash) {
      return { label: label, data: data.trend.map(function (d) { return d[key]; }), borderColor: color, backgroundColor: color,
        borderDash: dash || [], pointRadius: key === "rate" ? 4 : 0, fill: false, spanGaps: true };
    }
    new window.Chart(trend, { type: "line", data: { labels: data.trend.map(function (d) { return d.label; }), datasets: [
      series("rate", data.labels.rate, green), series("low", data.labels.low, pale, [4, 3]),
      series("high", data.labels.high, pale, [4, 3]), series("target", data.labels.target, red, [8, 4])] },
      options: options({ scales: { y: percentAxis() } }) });
  }
})();
