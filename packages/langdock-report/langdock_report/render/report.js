// Draws every chart of the page from the JSON in #report-data with vega-embed (inlined
// above), then marks the document: data-report-state="ready" (or "failed") and data-charts.
(function () {
  "use strict";
  var root = document.documentElement;
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var options = {
    renderer: "svg",
    mode: "vega-lite",
    // Saving as SVG or PNG works offline; "open in the Vega editor" would leave the page.
    actions: { export: true, source: false, compiled: false, editor: false },
  };
  var jobs = data.charts.map(function (chart) {
    var element = document.getElementById("chart-" + chart.id);
    var own = Object.assign({}, options, { downloadFileName: "langdock-" + chart.id });
    return window.vegaEmbed(element, chart.spec, own).then(
      function (result) {
        element.setAttribute("data-rendered", "true");
        return result;
      },
      function (error) {
        element.classList.add("failed");
        element.textContent = "This chart could not be drawn: " + error.message;
        console.error("chart " + chart.id + " could not be drawn: " + error.message);
        throw error;
      }
    );
  });
  Promise.allSettled(jobs).then(function (results) {
    var drawn = results.filter(function (r) { return r.status === "fulfilled"; }).length;
    root.setAttribute("data-charts", String(drawn));
    root.setAttribute("data-report-state", drawn === results.length ? "ready" : "failed");
  });
})();
