// The Caro telemetry dashboard: asks /api/dashboard for the view of a
// week and a segment, draws it with Chart.js, and asks again on every
// change of the controls and every refresh_seconds. Nothing is fetched
// from anywhere but this server.
'use strict';
(function () {
  // Okabe-Ito, readable by colour-blind readers; each series also has its
  // own marker and dash (bars: pattern), so that grey print tells them apart.
  const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442'];
  const POINTS = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot', 'cross'];
  const DASHES = [[], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [10, 4], [4, 4]];
  const MARKS = { green: '\u2713 on target', amber: '\u25B2 near target', red: '\u2717 off target' };

  const charts = {};
  let timer = null;
  let renders = 0;
  const sel = fromURL();

  function fromURL() {
    const p = new URL(location.href).searchParams;
    return { week: p.get('week') || '', segment: p.get('segment') || '', value: p.get('value') || '' };
  }

  function toURL() {
    const p = new URLSearchParams();
    if (sel.week) p.set('week', sel.week);
    if (sel.segment) {
      p.set('segment', sel.segment);
      p.set('value', sel.value);
    }
    return p;
  }

  function setStatus(text, isError) {
    const s = document.getElementById('status');
    s.textContent = text;
    s.className = isError ? 'red' : '';
  }

  async function load() {
    clearTimeout(timer);
    const q = toURL();
    history.replaceState(null, '', q.toString() ? '?' + q : location.pathname);
    let resp, text;
    try {
      resp = await fetch('/api/dashboard?' + q, { cache: 'no-store' });
      text = await resp.text();
    } catch (e) {
      setStatus('Cannot reach the dashboard server: ' + e.message + ' (retrying)', true);
      timer = setTimeout(load, 10000);
      return;
    }
    if (!resp.ok) {
      setStatus(text.trim(), true);
      // A stale link (a week or value no longer there): offer the default view.
      const a = el('a');
      a.href = location.pathname;
      a.textContent = ' Show the current week, all users';
      document.getElementById('status').append(a);
      return;
    }
    const view = JSON.parse(text);
    render(view);
    timer = setTimeout(load, view.refresh_seconds * 1000);
  }

  function render(v) {
    sel.week = v.week;
    controls(v);
    headline(v);
    signals(v);
    const grid = document.getElementById('grid');
    for (const c of v.charts) {
      if (c.id === 'csr') {
        draw(c, document.getElementById('chart-csr'));
        continue;
      }
      let panel = document.getElementById('panel-' + c.id);
      if (!panel) {
        panel = el('div', 'panel');
        panel.id = 'panel-' + c.id;
        panel.append(el('h3'), el('p', 'def'));
        const box = el('div', 'chart');
        const canvas = el('canvas');
        canvas.id = 'chart-' + c.id;
        canvas.setAttribute('role', 'img');
        box.append(canvas);
        panel.append(box, el('p', 'figures'));
        grid.append(panel);
      }
      panel.querySelector('h3').textContent = c.title;
      panel.querySelector('.def').textContent = c.definition;
      panel.querySelector('canvas').setAttribute('aria-label', c.title + ' by week');
      const figs = panel.querySelector('.figures');
      figs.replaceChildren();
      c.current.forEach((f, i) => {
        if (i > 0) figs.append(document.createTextNode(' \u00B7 '));
        figs.append(figureNode(v.week, f));
      });
      draw(c, panel.querySelector('canvas'));
    }
    document.getElementById('period').textContent = v.week + ': ' + v.from + ' to ' + v.to +
      ' (UTC days). Segment: ' + v.key + '. Refreshes every ' + v.refresh_seconds + ' s; last at ' +
      new Date().toLocaleTimeString() + '.';
    setStatus('Updated ' + new Date().toLocaleTimeString());
    renders++;
    document.body.dataset.renders = String(renders);
    document.body.dataset.week = v.week;
    document.body.dataset.key = v.key;
  }

  function el(tag, cls) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  function controls(v) {
    const week = document.getElementById('week');
    week.replaceChildren(...v.weeks.slice().reverse().map((w) => new Option(w, w, false, w === v.week)));
    const seg = document.getElementById('segment');
    const all = new Option('All users', '', false, v.key === 'all');
    const groups = v.filters.map((f) => {
      const g = el('optgroup');
      g.label = f.title;
      for (const val of f.values) {
        const key = f.segment + '=' + val;
        g.append(new Option(f.title + ': ' + val, key, false, key === v.key));
      }
      return g;
    });
    seg.replaceChildren(all, ...groups);
  }

  function markNode(status) {
    const s = el('span', 'mark ' + (status || 'none'));
    s.textContent = MARKS[status] || '\u2013 no target';
    return s;
  }

  function figureNode(week, f) {
    const s = el('span');
    s.append(document.createTextNode(f.label + ' ' + week + ': ' + f.value +
      (f.target ? ' (target ' + f.target + ') ' : ' ')));
    if (f.target) s.append(markNode(f.status));
    if (f.trend) s.append(document.createTextNode(' ' + f.trend));
    return s;
  }

  function headline(v) {
    const h = v.headline;
    document.getElementById('csr-value').textContent = h.value;
    const mark = document.getElementById('csr-mark');
    mark.className = 'mark ' + (h.status || 'none');
    mark.textContent = MARKS[h.status] || '\u2013 no data';
    document.getElementById('csr-detail').textContent = v.week + ' (' + v.from + ' to ' + v.to + '), ' + v.key +
      ': ' + h.numerator + ' of ' + h.denominator + ' generated commands run unmodified; target ' + h.target +
      (h.trend ? '; ' + h.trend : '') + '.';
  }

  function signals(v) {
    // The decision framework reads the whole population's figures.
    document.getElementById('signals-title').textContent = 'Decision signals of ' + v.week + ' (all users)';
    const ul = document.getElementById('signals');
    ul.replaceChildren();
    if (!v.signals.length) {
      const li = el('li');
      li.textContent = 'No decision-framework signal fired in ' + v.week + '.';
      ul.append(li);
    }
    for (const s of v.signals) {
      const li = el('li');
      const b = el('b');
      b.textContent = s.signal;
      li.append(b, document.createTextNode(': ' + s.detail + '. Decision: ' + s.decision + '.'));
      ul.append(li);
    }
  }

  // pattern fills a bar with its colour and a texture of its own.
  function pattern(colour, i) {
    const c = document.createElement('canvas');
    c.width = c.height = 10;
    const x = c.getContext('2d');
    x.fillStyle = colour;
    x.fillRect(0, 0, 10, 10);
    x.strokeStyle = 'rgba(255,255,255,0.9)';
    x.fillStyle = 'rgba(255,255,255,0.9)';
    x.lineWidth = 2;
    switch (i % 4) {
      case 1:
        x.beginPath(); x.moveTo(0, 10); x.lineTo(10, 0); x.stroke();
        break;
      case 2:
        x.beginPath(); x.arc(5, 5, 1.8, 0, 2 * Math.PI); x.fill();
        break;
      case 3:
        x.beginPath(); x.moveTo(0, 5); x.lineTo(10, 5); x.stroke();
        break;
    }
    return x.createPattern(c, 'repeat');
  }

  function number(v, unit) {
    if (v === null || v === undefined) return 'no data';
    const digits = unit === 's' ? 2 : 1;
    return v.toFixed(digits) + (unit === '%' ? '%' : unit === 's' ? ' s' : ' ' + unit);
  }

  function draw(c, canvas) {
    if (charts[canvas.id]) charts[canvas.id].destroy();
    const bar = c.type === 'bar';
    const datasets = c.series.map((s, i) => ({
      label: s.label,
      data: s.values,
      numerators: s.numerators,
      denominators: s.denominators,
      borderColor: COLOURS[i % COLOURS.length],
      backgroundColor: bar ? pattern(COLOURS[i % COLOURS.length], i) : COLOURS[i % COLOURS.length],
      borderWidth: bar ? 1 : 2.5,
      borderDash: bar ? [] : DASHES[i % DASHES.length],
      pointStyle: POINTS[i % POINTS.length],
      pointRadius: 5,
      pointHoverRadius: 8,
      spanGaps: false,
    }));
    for (const t of c.targets || []) {
      datasets.push({
        type: 'line', label: t.label, data: c.labels.map(() => t.value), target: true,
        borderColor: '#000', backgroundColor: '#000', borderDash: [5, 4], borderWidth: 1.5,
        pointRadius: 0, pointHoverRadius: 0, pointStyle: 'line', fill: false, stack: 'target',
      });
    }
    charts[canvas.id] = new Chart(canvas, {
      type: bar ? 'bar' : 'line',
      data: { labels: c.labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: {
          legend: { position: 'bottom', labels: { usePointStyle: true, boxWidth: 28 } },
          tooltip: {
            callbacks: {
              label: (ctx) => {
                const ds = ctx.dataset;
                let text = ds.label + ': ' + number(ctx.parsed.y, c.unit);
                if (!ds.target && ds.denominators) {
                  const n = ds.numerators[ctx.dataIndex], d = ds.denominators[ctx.dataIndex];
                  text += c.unit === 's' ? ' (' + d + ' observations)' : ' (' + n + ' / ' + d + ')';
                }
                return text;
              },
            },
          },
        },
        scales: {
          x: {
            stacked: bar,
            title: { display: true, text: 'ISO week (UTC)' },
            ticks: { autoSkip: true, maxRotation: 45, minRotation: 0 },
          },
          y: {
            stacked: bar,
            beginAtZero: true,
            max: bar ? 100 : undefined,
            title: { display: true, text: c.y_title },
            ticks: { callback: (v) => v + (c.unit === '%' ? '%' : c.unit === 's' ? ' s' : '') },
          },
        },
      },
    });
  }

  function start() {
    document.getElementById('week').addEventListener('change', (e) => {
      sel.week = e.target.value;
      load();
    });
    document.getElementById('segment').addEventListener('change', (e) => {
      const [segment, ...rest] = e.target.value.split('=');
      sel.segment = e.target.value ? segment : '';
      sel.value = e.target.value ? rest.join('=') : '';
      load();
    });
    document.getElementById('controls').addEventListener('submit', (e) => e.preventDefault());
    load();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
