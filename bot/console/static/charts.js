// Small SVG charts for the statistics page, drawn from the JSON embedded in the page. No library, no CDN.
(function () {
  "use strict";

  var source = document.getElementById("stats-data");
  if (!source) return;
  var data = JSON.parse(source.textContent);
  var NS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (key) {
      node.setAttribute(key, String(attrs[key]));
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function niceMax(value) {
    if (value <= 5) return Math.max(1, value);
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) {
      if (steps[i] * power >= value) return steps[i] * power;
    }
    return value;
  }

  // Vertical columns over time (contacts per day or per week).
  function columns(pairs) {
    var height = 180, left = 34, bottom = 34, top = 10;
    var step = Math.max(8, Math.min(56, Math.floor(900 / Math.max(1, pairs.length))));
    var width = left + step * pairs.length + 10;
    var max = niceMax(Math.max.apply(null, [0].concat(pairs.map(function (p) { return p[1]; }))));
    var plot = height - bottom - top;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img" });
    svg.appendChild(el("line", { x1: left, y1: top + plot, x2: width - 5, y2: top + plot, stroke: "#b6bec4" }));
    svg.appendChild(el("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, String(max)));
    svg.appendChild(el("text", { x: left - 4, y: top + plot, "text-anchor": "end" }, "0"));
    var labelEvery = Math.ceil(pairs.length / 12);
    pairs.forEach(function (pair, i) {
      var h = max ? (pair[1] / max) * plot : 0;
      var x = left + i * step + 1;
      var bar = el("rect", { class: "bar", x: x, y: top + plot - h, width: step - 2, height: h });
      bar.appendChild(el("title", {}, pair[0] + ": " + pair[1]));
      svg.appendChild(bar);
      if (i % labelEvery === 0) {
        // "2026-11-28" -> "11-28"; "2026-W48" -> "W48"
        var label = pair[0].length === 10 ? pair[0].slice(5) : pair[0].replace(/^\d{4}-/, "");
        svg.appendChild(el("text", { x: x, y: height - bottom + 14 }, label));
      }
    });
    return svg;
  }

  // Horizontal bars for a breakdown (channel, language, topic, municipality, outcome).
  function bars(pairs) {
    var shown = pairs.slice(0, 15);
    var row = 22, labelWidth = 170, width = 460;
    var height = Math.max(row, row * shown.length) + 4;
    var max = Math.max.apply(null, [1].concat(shown.map(function (p) { return p[1]; })));
    var svg = el("svg", { viewBox: "0 0 " + width + " " + height, width: width, height: height, role: "img" });
    if (!shown.length) {
      svg.appendChild(el("text", { x: 0, y: 15 }, "no data"));
      return svg;
    }
    shown.forEach(function (pair, i) {
      var y = i * row + 2;
      var w = ((width - labelWidth - 50) * pair[1]) / max;
      var name = pair[0].length > 26 ? pair[0].slice(0, 25) + "…" : pair[0];
      svg.appendChild(el("text", { x: labelWidth - 6, y: y + 14, "text-anchor": "end" }, name));
      var bar = el("rect", { class: "bar", x: labelWidth, y: y + 2, width: Math.max(1, w), height: row - 6 });
      bar.appendChild(el("title", {}, pair[0] + ": " + pair[1]));
      svg.appendChild(bar);
      svg.appendChild(el("text", { x: labelWidth + w + 5, y: y + 14 }, String(pair[1])));
    });
    return svg;
  }

  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var pairs = data[box.getAttribute("data-chart")] || [];
    box.appendChild(box.getAttribute("data-kind") === "columns" ? columns(pairs) : bars(pairs));
  });
})();
