/* Draws every Plotly figure whose JSON sits in a <script type="application/json"> block.
 * <div data-figure="ID"> names the block. A click on a point follows the link in its
 * customdata (drill-down to the pilots behind it). Runs on page load and after htmx swaps;
 * without JavaScript the tables under each chart carry the same numbers and links. */
(function () {
  "use strict";

  // One chart per task: drawing them all in one go blocked the main thread for a long
  // stretch on first load (Lighthouse's total blocking time); between charts the browser
  // can paint and answer input.
  var queue = [];
  var scheduled = false;

  function draw(root) {
    if (!window.Plotly || !root || !root.querySelectorAll) return;
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      if (el.dataset.drawn === "1" || queue.indexOf(el) >= 0) return;
      var block = document.getElementById(el.dataset.figure);
      if (!block) return;
      el.pilotgateFigure = JSON.parse(block.textContent);
      // Reserve the chart's height now, so the page does not grow while charts draw.
      var height = el.pilotgateFigure.layout && el.pilotgateFigure.layout.height;
      if (height) el.style.minHeight = height + "px";
      queue.push(el);
    });
    schedule();
  }

  function schedule() {
    if (scheduled || !queue.length) return;
    scheduled = true;
    setTimeout(function () {
      scheduled = false;
      var el = queue.shift();
      if (el.isConnected) drawOne(el);
      schedule();
    }, 0);
  }

  function drawOne(el) {
    if (el.dataset.drawn === "1") return;
    var fig = el.pilotgateFigure;
    if (!fig) return;
    el.dataset.drawn = "1";
    window.Plotly.newPlot(el, fig.data || [], fig.layout || {}, {
      responsive: true,
      displayModeBar: false,
    }).then(function () {
      // Plotly's SVG is decoration here: the table beside it is the accessible version.
      el.querySelectorAll("svg").forEach(function (svg) {
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
      });
    });
    el.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      if (point && typeof point.customdata === "string" && point.customdata.charAt(0) === "/") {
        window.location.assign(point.customdata);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function () { draw(document); });
})();
