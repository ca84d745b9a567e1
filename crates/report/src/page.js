// healthy-city report: sortable tables, the city search, and the in-page re-weighting.
// The re-weighting recomputes one year's index from the embedded normalised values by the
// engine's rules (crates/score/src/aggregate.rs, results.rs, rank.rs): weighted means over the
// present children of positive weight (weights renormalised), a group missing when its present
// share of child weight is below min_share (or any child is missing under missing = propagate),
// a group unscored (and every group above it) when a child is outside its mean's domain;
// coverage as the effective weight of the measured indicators; competition ranking of the
// cities ranked (eligible, scored, coverage met), on scores rounded half away from zero.
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('model').textContent);
  var presets = JSON.parse(document.getElementById('presets').textContent);

  // Sortable tables: click (or Enter on) a heading; again to reverse. Missing values last.
  function cellKey(td, type) {
    var t = td ? td.textContent.trim() : '';
    if (type === 'num') {
      var v = parseFloat(t.replace(/[%,+\u2212]/g, function (c) { return c === '\u2212' ? '-' : ''; }));
      return isNaN(v) ? null : v;
    }
    return t === '' ? null : t.toLowerCase();
  }
  function sortTable(table, k, type, ascending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var keyed = rows.map(function (row, i) { return [cellKey(row.cells[k], type), i, row]; });
    keyed.sort(function (a, b) {
      if (a[0] === null && b[0] === null) { return a[1] - b[1]; }
      if (a[0] === null) { return 1; }
      if (b[0] === null) { return -1; }
      var c = a[0] < b[0] ? -1 : (a[0] > b[0] ? 1 : 0);
      return (ascending ? c : -c) || a[1] - b[1];
    });
    keyed.forEach(function (e) { body.appendChild(e[2]); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, k) {
      th.tabIndex = 0;
      th.setAttribute('aria-sort', 'none');
      var go = function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        sortTable(table, k, th.getAttribute('data-type'), ascending);
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { go(); } });
    });
  });

  // City search.
  var search = document.getElementById('search');
  var ranking = document.getElementById('ranking-table');
  if (search && ranking) {
    search.addEventListener('input', function () {
      var q = search.value.trim().toLowerCase();
      Array.prototype.forEach.call(ranking.tBodies[0].rows, function (row) {
        row.hidden = q !== '' && row.cells[1].textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  }

  if (!model) { return; }

  var status = document.getElementById('status');
  var headline = document.getElementById('reweighted');
  var sliders = Array.prototype.slice.call(document.querySelectorAll('input[type=range][data-domain]'));
  var nominal = model.weights.slice();
  var rows = {};
  Array.prototype.forEach.call(ranking.tBodies[0].rows, function (row) {
    rows[row.getAttribute('data-city')] = row;
  });

  function roundHalfAway(x, d) {
    var f = Math.pow(10, d);
    var y = x * f;
    return (y < 0 ? -Math.round(-y) : Math.round(y)) / f;
  }

  function inDomain(method, p, v) {
    if (!isFinite(v)) { return false; }
    if (method === 'geometric' || method === 'harmonic') { return v > 0; }
    if (method === 'generalised') { return p < 0 ? v > 0 : v >= 0; }
    return true;
  }

  // One city's scores: node values (NaN where missing) and whether the index is unscored.
  function scoreCity(values, groups) {
    var s = new Float64Array(model.n_nodes).fill(NaN);
    var unscored = new Uint8Array(model.n_nodes);
    model.indicators.forEach(function (node, i) {
      var v = values[i];
      s[node] = v === null ? NaN : v;
    });
    groups.forEach(function (g) {
      var total = 0, present = 0, acc = 0, anyMissing = false, bad = false;
      var restricted = g.method !== 'arithmetic';
      var shift = restricted ? g.offset : 0;
      var ref = NaN;
      g.children.forEach(function (c) { total += c[1]; if (unscored[c[0]]) { bad = true; } });
      if (g.method === 'generalised') {
        g.children.forEach(function (c) {
          var v = s[c[0]] + shift;
          if (c[1] !== 0 && !isNaN(v)) {
            ref = isNaN(ref) ? v : (g.p < 0 ? Math.min(ref, v) : Math.max(ref, v));
          }
        });
      }
      g.children.forEach(function (c) {
        var w = c[1];
        if (w === 0) { return; }
        var v = s[c[0]] + shift;
        if (isNaN(v)) { anyMissing = true; return; }
        if (restricted && !inDomain(g.method, g.p, v)) { bad = true; return; }
        present += w;
        if (g.method === 'geometric') { acc += w * Math.log(v); }
        else if (g.method === 'harmonic') { acc += w / v; }
        else if (g.method === 'generalised') { acc += w * Math.pow(v / ref, g.p); }
        else { acc += w * v; }
      });
      if (bad) { unscored[g.node] = 1; s[g.node] = NaN; return; }
      if (present === 0 || present / total < g.min_share || (anyMissing && model.propagate)) {
        s[g.node] = NaN;
        return;
      }
      var value;
      if (g.method === 'geometric') { value = Math.exp(acc / present); }
      else if (g.method === 'harmonic') { value = present / acc; }
      else if (g.method === 'generalised') { value = ref === 0 ? 0 : ref * Math.pow(acc / present, 1 / g.p); }
      else { value = acc / present; }
      s[g.node] = value;
    });
    return s;
  }

  // Scores, coverage and ranks of every city under the domains' weights `weights`.
  function compute(weights) {
    var groups = model.groups.map(function (g) {
      if (g.node !== model.root) { return g; }
      var copy = Object.assign({}, g);
      copy.children = g.children.map(function (c) {
        var d = model.domains.indexOf(c[0]);
        return [c[0], d < 0 ? c[1] : weights[d]];
      });
      return copy;
    });
    var eff = new Float64Array(model.n_nodes);
    eff[model.root] = 1;
    for (var i = groups.length - 1; i >= 0; i--) {
      var g = groups[i];
      var total = g.children.reduce(function (t, c) { return t + c[1]; }, 0);
      g.children.forEach(function (c) { eff[c[0]] = total > 0 ? eff[g.node] * c[1] / total : 0; });
    }
    var n = model.values.length;
    var score = [], coverage = [], ranked = [];
    for (var c = 0; c < n; c++) {
      var s = scoreCity(model.values[c], groups);
      var cov = 0;
      model.indicators.forEach(function (node) { if (!isNaN(s[node])) { cov += eff[node]; } });
      score.push(s[model.root]);
      coverage.push(cov);
      ranked.push(model.eligible[c] && !isNaN(s[model.root]) && cov + 1e-12 >= model.city_min_share);
    }
    var shown = score.map(function (v, k) {
      if (!ranked[k]) { return NaN; }
      return model.round === null ? v : roundHalfAway(v, model.round);
    });
    var order = shown.map(function (_, k) { return k; }).filter(function (k) { return !isNaN(shown[k]); });
    order.sort(function (a, b) { return (shown[b] - shown[a]) || (a - b); });
    var rank = new Array(n).fill(null);
    var prev = null, prevRank = 0;
    order.forEach(function (k, pos) {
      var r = prev !== null && shown[k] === prev ? prevRank : pos + 1;
      rank[k] = r;
      prev = shown[k];
      prevRank = r;
    });
    return { score: shown, coverage: coverage, rank: rank, n: order.length };
  }

  function ordinal(n) {
    var s = (n % 100 >= 11 && n % 100 <= 13) ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th');
    return n + s;
  }

  function show(result) {
    Object.keys(rows).forEach(function (k) {
      var row = rows[k], c = Number(k);
      var r = result.rank[c];
      row.setAttribute('data-ranked', r === null ? '0' : '1');
      row.cells[0].textContent = r === null ? '\u2013' : String(r);
      row.cells[2].textContent = isNaN(result.score[c]) ? '' : result.score[c].toFixed(model.decimals);
      row.querySelector('td.coverage').textContent = Math.round(100 * result.coverage[c]) + '%';
    });
    sortTable(ranking, 0, 'num', true);
    Array.prototype.forEach.call(ranking.tHead.rows[0].cells, function (o) { o.setAttribute('aria-sort', 'none'); });
  }

  function same(a, b) {
    return a.length === b.length && a.every(function (v, i) { return v === b[i]; });
  }

  function apply(weights, write) {
    var total = weights.reduce(function (t, w) { return t + w; }, 0);
    if (!(total > 0)) {
      status.textContent = 'Give at least one domain a weight above 0.';
      return;
    }
    var result = compute(weights);
    show(result);
    sliders.forEach(function (s, i) {
      s.value = String(Math.min(10, weights[i]));
      s.nextElementSibling.textContent = String(Math.round(weights[i] * 1000) / 1000);
    });
    var changed = !same(weights, nominal);
    var shares = weights.map(function (w, i) {
      return model.domain_names[i] + ' ' + (100 * w / total).toFixed(1) + '%';
    });
    status.textContent = (changed ? 'Your weights: ' : 'The index\'s weights: ') + shares.join(', ') + '.';
    if (FOCUS !== null && changed) {
      var r = result.rank[FOCUS];
      var name = rows[String(FOCUS)].cells[1].textContent;
      headline.textContent = r === null
        ? 'Under your weights, ' + name + ' is not ranked.'
        : 'Under your weights, ' + name + ' ranks ' + ordinal(r) + ' of ' + result.n + '.';
      headline.hidden = false;
    } else {
      headline.hidden = true;
    }
    if (write) {
      var hash = changed ? '#w=' + weights.join(',') : '#ranking';
      try { history.replaceState(null, '', hash); } catch (e) { location.hash = hash; }
    }
  }

  function disable(why) {
    sliders.forEach(function (s) { s.disabled = true; });
    Array.prototype.forEach.call(document.querySelectorAll('#controls button'), function (b) { b.disabled = true; });
    status.textContent = why;
    status.className = 'status disabled';
  }

  // The page must reproduce the engine's ranks at the index's own weights, or it says so.
  var check = compute(nominal);
  var mismatch = null;
  Object.keys(rows).forEach(function (k) {
    var text = rows[k].cells[0].textContent.trim();
    var engine = /^[0-9]+$/.test(text) ? Number(text) : null;
    if (mismatch === null && engine !== check.rank[Number(k)]) {
      mismatch = rows[k].cells[1].textContent + ': the engine ranks it ' + (engine === null ? 'nowhere' : engine) +
        ', the page ' + (check.rank[Number(k)] === null ? 'nowhere' : check.rank[Number(k)]);
    }
  });
  if (mismatch !== null) {
    disable('The page cannot reproduce the engine\'s ranks for this index (' + mismatch + '), so the sliders are off.');
    return;
  }

  function fromHash() {
    var m = /^#w=([^&]*)$/.exec(location.hash);
    if (!m) { return null; }
    var parts = m[1].split(',');
    var weights = parts.map(Number);
    if (parts.length !== model.domains.length || weights.some(function (w) { return !isFinite(w) || w < 0 || parts[0] === ''; })) {
      status.textContent = 'The address gives the weights "' + decodeURIComponent(m[1]) + '": give ' +
        model.domains.length + ' numbers of 0 or more, separated by commas. Showing the index\'s weights.';
      return 'bad';
    }
    return weights;
  }

  sliders.forEach(function (s) {
    s.addEventListener('input', function () {
      apply(sliders.map(function (x) { return Number(x.value); }), true);
    });
  });
  document.getElementById('reset').addEventListener('click', function () { apply(nominal.slice(), true); });
  Array.prototype.forEach.call(document.querySelectorAll('button.preset'), function (b) {
    b.addEventListener('click', function () { apply(presets[Number(b.getAttribute('data-preset'))][1].slice(), true); });
  });
  window.addEventListener('hashchange', function () {
    var w = fromHash();
    if (w && w !== 'bad') { apply(w, false); }
  });
  var initial = fromHash();
  if (initial === 'bad') {
    apply(nominal.slice(), false);
  } else {
    apply(initial || nominal.slice(), false);
  }
  document.body.setAttribute('data-reweight', 'ready');
}());
