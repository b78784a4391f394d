// The report page's script, inlined into report.html: draws the charts as SVG from the report
// JSON embedded in the page. Plain ES2017, no libraries, nothing fetched.

export const REPORT_SCRIPT = String.raw`
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
  var GROUPS = [['packet_io', 'packet I/O', '#4e79a7'], ['kernel_without_tcpip', 'kernel w/o TCP/IP', '#e15759'], ['tcpip', 'TCP/IP', '#f28e2b'], ['application', 'application', '#59a14f'], ['lab_transport', 'lab transport', '#bab0ac'], ['host', 'host threads', '#76b7b2']];
  var multiSize = data.sizes.length > 1;

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(e);
    return e;
  }
  function txt(parent, x, y, s, attrs) {
    var a = Object.assign({ x: x, y: y, 'font-size': 11, fill: '#333' }, attrs || {});
    var t = el('text', a, parent);
    t.textContent = s;
    return t;
  }
  function svg(container, w, h, title) {
    var s = el('svg', { viewBox: '0 0 ' + w + ' ' + h, width: w, height: h, role: 'img', 'aria-label': title }, null);
    el('title', {}, s).textContent = title;
    container.appendChild(s);
    return s;
  }
  function fmtPps(x) {
    if (x >= 1e6) return (x / 1e6).toFixed(2) + ' M';
    if (x >= 1e3) return (x / 1e3).toFixed(1) + ' k';
    return x.toFixed(x < 10 ? 2 : 0);
  }
  function fmtSec(s) {
    if (s < 1e-3) return (s * 1e6).toPrecision(3) + ' µs';
    if (s < 1) return (s * 1e3).toPrecision(3) + ' ms';
    return s.toPrecision(3) + ' s';
  }
  function label(r) { return multiSize ? r.variant + ' · ' + (r.size === 'imix' ? 'IMIX' : r.size + ' B') : r.variant; }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var steps = [1, 2, 2.5, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * p >= v) return steps[i] * p;
    return 10 * p;
  }
  function empty(container, msg) {
    var p = document.createElement('p');
    p.className = 'empty';
    p.textContent = msg;
    container.appendChild(p);
  }

  // grouped bars: groups[i] = { label, bars: [{ name, value, color }] }; groups as wide as their label
  function bars(container, title, groups, fmt) {
    var n = groups.reduce(function (a, g) { return a + g.bars.length; }, 0);
    if (!n) return empty(container, 'nothing to show');
    var bw = n > 16 ? 16 : n > 8 ? 28 : 42, gap = bw + 6;
    var widths = groups.map(function (g) { return Math.max(g.bars.length * gap, g.label.length * 6.6) + 18; });
    var L = 64, B = 40, T = 16, H = 280;
    var W = Math.max(420, L + 14 + widths.reduce(function (a, w) { return a + w; }, 0) + 8);
    var s = svg(container, W, H, title);
    var max = niceMax(Math.max.apply(null, groups.map(function (g) { return Math.max.apply(null, g.bars.map(function (b) { return b.value; })); })));
    var plotH = H - B - T;
    for (var k = 0; k <= 4; k++) {
      var v = (max * k) / 4, y = T + plotH - (plotH * k) / 4;
      el('line', { x1: L, x2: W - 8, y1: y, y2: y, stroke: k ? '#e4e4e4' : '#999' }, s);
      txt(s, L - 6, y + 4, fmt(v), { 'text-anchor': 'end' });
    }
    var x0 = L + 14;
    groups.forEach(function (g, gi) {
      var inner = g.bars.length * gap - 6;
      var x = x0 + (widths[gi] - inner) / 2;
      g.bars.forEach(function (b) {
        var h = max > 0 ? (plotH * b.value) / max : 0;
        var r = el('rect', { x: x, y: T + plotH - h, width: bw, height: Math.max(h, 0.5), fill: b.color, 'class': 'bar' }, s);
        el('title', {}, r).textContent = b.name + ': ' + fmt(b.value);
        if (g.bars.length <= 3) txt(s, x + bw / 2, T + plotH - h - 4, fmt(b.value), { 'text-anchor': 'middle', 'font-size': 10 });
        x += gap;
      });
      txt(s, x0 + widths[gi] / 2, H - B + 16, g.label, { 'text-anchor': 'middle' });
      x0 += widths[gi];
    });
    return s;
  }
  function legend(container, items) {
    var d = document.createElement('div');
    d.className = 'legend';
    items.forEach(function (it) {
      var sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = it[1];
      d.appendChild(sw);
      d.appendChild(document.createTextNode(it[0]));
    });
    container.appendChild(d);
  }

  function pie(container, title, shares) {
    var W = 200, H = 200, cx = 100, cy = 96, R = 80;
    var wrap = document.createElement('figure');
    container.appendChild(wrap);
    var s = svg(wrap, W, H, title);
    var total = GROUPS.reduce(function (a, g) { return a + (shares[g[0]] || 0); }, 0);
    if (!(total > 0)) {
      el('circle', { cx: cx, cy: cy, r: R, fill: '#f2f2f2', stroke: '#ccc' }, s);
      txt(s, cx, cy + 4, 'no CPU measured', { 'text-anchor': 'middle' });
    } else {
      var a0 = -Math.PI / 2;
      GROUPS.forEach(function (g) {
        var f = (shares[g[0]] || 0) / total;
        if (f <= 0) return;
        var shape;
        if (f >= 0.9999) shape = el('circle', { cx: cx, cy: cy, r: R, fill: g[2], 'class': 'slice' }, s);
        else {
          var a1 = a0 + f * 2 * Math.PI;
          var large = f > 0.5 ? 1 : 0;
          var d = 'M' + cx + ',' + cy + ' L' + (cx + R * Math.cos(a0)).toFixed(2) + ',' + (cy + R * Math.sin(a0)).toFixed(2) +
            ' A' + R + ',' + R + ' 0 ' + large + ' 1 ' + (cx + R * Math.cos(a1)).toFixed(2) + ',' + (cy + R * Math.sin(a1)).toFixed(2) + ' Z';
          shape = el('path', { d: d, fill: g[2], stroke: '#fff', 'stroke-width': 1, 'class': 'slice' }, s);
          if (f > 0.06) {
            var am = (a0 + a1) / 2;
            txt(s, cx + R * 0.62 * Math.cos(am), cy + R * 0.62 * Math.sin(am) + 4, Math.round(f * 100) + '%', { 'text-anchor': 'middle', fill: '#fff', 'font-size': 11, 'font-weight': 'bold' });
          }
          a0 = a1;
        }
        el('title', {}, shape).textContent = g[1] + ': ' + (f * 100).toFixed(1) + ' %';
      });
    }
    var cap = document.createElement('figcaption');
    cap.textContent = title;
    wrap.appendChild(cap);
  }

  function cdf(container, title, series) {
    var pts = [];
    series.forEach(function (se) { se.points.forEach(function (p) { if (p[0] > 0) pts.push(p[0]); }); });
    if (!pts.length) return empty(container, 'no latency samples in the windows');
    var W = 640, H = 300, L = 56, R = 16, T = 12, B = 40;
    var s = svg(container, W, H, title);
    var lo = Math.floor(Math.log10(Math.min.apply(null, pts))), hi = Math.ceil(Math.log10(Math.max.apply(null, pts)));
    if (hi <= lo) hi = lo + 1;
    var pw = W - L - R, ph = H - T - B;
    function X(v) { return L + ((Math.log10(v) - lo) / (hi - lo)) * pw; }
    function Y(f) { return T + ph - f * ph; }
    for (var k = 0; k <= 4; k++) {
      el('line', { x1: L, x2: W - R, y1: Y(k / 4), y2: Y(k / 4), stroke: k ? '#e4e4e4' : '#999' }, s);
      txt(s, L - 6, Y(k / 4) + 4, (k * 25) + '%', { 'text-anchor': 'end' });
    }
    for (var e = lo; e <= hi; e++) {
      el('line', { x1: X(Math.pow(10, e)), x2: X(Math.pow(10, e)), y1: T, y2: T + ph, stroke: '#eee' }, s);
      txt(s, X(Math.pow(10, e)), H - B + 16, fmtSec(Math.pow(10, e)), { 'text-anchor': 'middle' });
    }
    txt(s, L + pw / 2, H - 6, 'end-to-end latency (log scale)', { 'text-anchor': 'middle', fill: '#666' });
    series.forEach(function (se) {
      var d = '', prev = 0;
      se.points.forEach(function (p, i) {
        if (!(p[0] > 0)) return;
        var x = X(p[0]).toFixed(2);
        d += (d ? ' L' : 'M') + x + ',' + Y(i === 0 ? 0 : prev).toFixed(2) + ' L' + x + ',' + Y(p[1]).toFixed(2);
        prev = p[1];
      });
      if (!d) return;
      var path = el('path', { d: d, fill: 'none', stroke: se.color, 'stroke-width': 2, 'class': 'cdf-line' }, s);
      el('title', {}, path).textContent = se.name;
    });
    return s;
  }

  var results = data.results;
  var colorOf = {};
  results.forEach(function (r, i) { colorOf[label(r)] = COLORS[i % COLORS.length]; });

  // packets/s: delivered in the window (and the NDR when searched)
  var ppsBox = document.getElementById('chart-pps');
  if (!results.length) empty(ppsBox, 'no results');
  else {
    bars(ppsBox, 'Packets per second', results.map(function (r) {
      var b = [{ name: 'delivered', value: r.packets_per_second, color: colorOf[label(r)] }];
      if (r.ndr) b.push({ name: 'NDR', value: r.ndr.rate_pps, color: '#333' });
      return { label: label(r), bars: b };
    }), fmtPps);
    if (results.some(function (r) { return r.ndr; })) legend(ppsBox, [['delivered in the window', '#4e79a7'], ['NDR (highest rate with no loss)', '#333']]);
  }

  // CPU pies, side by side: every stage under test, then the compared stage alone
  var cpuBox = document.getElementById('chart-cpu');
  var rowChain = document.createElement('div');
  rowChain.className = 'pies';
  cpuBox.appendChild(rowChain);
  results.forEach(function (r) { pie(rowChain, label(r) + ': stages under test', r.cpu.chain_share); });
  var rowStage = document.createElement('div');
  rowStage.className = 'pies';
  cpuBox.appendChild(rowStage);
  results.forEach(function (r) { pie(rowStage, label(r) + ': ' + data.stage + ' only', r.cpu.stage_share); });
  legend(cpuBox, GROUPS.map(function (g) { return [g[1], g[2]]; }));

  // latency CDFs
  var cdfBox = document.getElementById('chart-cdf');
  cdf(cdfBox, 'End-to-end latency CDF', results.map(function (r) { return { name: label(r), color: colorOf[label(r)], points: r.latency_seconds.cdf }; }));
  legend(cdfBox, results.map(function (r) { return [label(r), colorOf[label(r)]]; }));

  // events per packet of the compared stage
  var evBox = document.getElementById('chart-events');
  var names = [];
  results.forEach(function (r) { Object.keys(r.events_per_packet).forEach(function (e) { if (names.indexOf(e) < 0 && r.events_per_packet[e] > 0) names.push(e); }); });
  if (!names.length) empty(evBox, 'the stage counted no events');
  else {
    bars(evBox, 'Events per packet', names.map(function (e) {
      return { label: e, bars: results.map(function (r) { return { name: label(r) + ' ' + e, value: r.events_per_packet[e] || 0, color: colorOf[label(r)] }; }) };
    }), function (v) { return v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2); });
    legend(evBox, results.map(function (r) { return [label(r), colorOf[label(r)]]; }));
  }
  document.body.setAttribute('data-rendered', 'true');
})();
`;
