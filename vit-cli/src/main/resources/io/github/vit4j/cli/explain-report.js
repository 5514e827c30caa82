// The page of vit explain's report.html: builds the sections from the inline JSON (#vit4j-data). No libraries, no
// network. Hooks for tests and users: window.vit4jReport.selectQuery(image, token); the URL fragment #query=T selects
// query token T (in the model's layout: 0 = CLS where there is one, P + row * grid + column a patch, P the tokens
// before the patches, 1 for ViT) in every image's attention grid, and #show=attention
// shows the attention grids alone (for screenshots). When the page has drawn
// everything, <body> gets data-ready="true", data-errors (script errors seen), data-images ("loaded/total").
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message));
    document.body.dataset.errors = String(errors.length);
  });
  var data = JSON.parse(document.getElementById('vit4j-data').textContent);
  var app = document.getElementById('app');
  var explorers = [];

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { e.appendChild(c); });
    return e;
  }

  function pct(p) { return (100 * p).toFixed(1) + '%'; }

  // white → ColorBrewer Reds, t in [0, 1]
  var RAMP = [[255, 255, 255], [254, 224, 210], [252, 146, 114], [222, 45, 38], [103, 0, 13]];
  function colour(t) {
    t = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t));
    var f = t - i;
    return RAMP[i].map(function (a, k) { return Math.round(a + (RAMP[i + 1][k] - a) * f); });
  }

  function figure(src, caption, note) {
    var kids = [el('img', {src: src, alt: caption}), el('figcaption', {text: caption})];
    if (note) { kids.push(el('div', {'class': 'note', text: note})); }
    return el('figure', {}, kids);
  }

  // the logit lens: rows layers, columns classes, cells coloured by probability
  function lensChart(lens) {
    var layers = lens.p.length;
    var k = lens.classes.length;
    var cell = 40;
    var left = 70;
    var top = 110;
    var c = el('canvas', {'class': 'lens', width: left + k * cell + 10, height: top + layers * 24 + 10});
    var g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
    g.font = '11px sans-serif';
    g.fillStyle = '#333';
    for (var j = 0; j < k; j++) {
      g.save();
      g.translate(left + j * cell + cell / 2 + 4, top - 6);
      g.rotate(-Math.PI / 3);
      g.fillText(lens.classes[j].slice(0, 18), 0, 0);
      g.restore();
    }
    for (var l = 0; l < layers; l++) {
      g.fillStyle = '#333';
      g.fillText('layer ' + l, 4, top + l * 24 + 16);
      for (j = 0; j < k; j++) {
        var p = lens.p[l][j];
        var rgb = colour(p);
        g.fillStyle = 'rgb(' + rgb.join(',') + ')';
        g.fillRect(left + j * cell, top + l * 24, cell - 2, 22);
        g.fillStyle = p > 0.5 ? '#fff' : '#000';
        g.fillText(p.toFixed(2), left + j * cell + 6, top + l * 24 + 15);
      }
    }
    c.dataset.inked = String(inked(c));
    return c;
  }

  // the number of pixels of a canvas that are not white: 0 for a blank one
  function inked(c) {
    var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    var n = 0;
    for (var i = 0; i < d.length; i += 4) { if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) { n++; } }
    return n;
  }

  function decode(b64) {
    var s = atob(b64);
    var a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); }
    return a;
  }

  // a layers × heads grid of attention maps for a query chosen by clicking the image
  function explorer(image) {
    var a = image.attention;
    var weights = decode(a.data);
    var n = a.grid * a.grid;
    var size = Math.max(64, Math.min(120, 480 / a.heads));
    var picture = new Image();
    picture.src = image.image;
    var chooser = el('canvas', {'class': 'chooser', width: 240, height: 240, title: 'click a patch to choose the query'});
    var status = el('div', {'class': 'query'});
    var prefix = a.prefix === undefined ? 1 : a.prefix;
    var hasCls = a.cls !== false;
    var cls = el('button', {type: 'button', text: 'CLS query'});
    if (!hasCls) { cls.style.display = 'none'; }
    var grid = el('div', {'class': 'heads', style: 'grid-template-columns: repeat(' + a.heads + ', ' + size + 'px)'});
    var maps = [];
    for (var l = 0; l < a.layers; l++) {
      for (var h = 0; h < a.heads; h++) {
        var c = el('canvas', {width: size, height: size, 'data-layer': l, 'data-head': h});
        maps.push(c);
        grid.appendChild(el('div', {'class': 'head'}, [el('span', {text: 'L' + l + ' H' + h}), c]));
      }
    }
    var state = {query: hasCls ? 0 : prefix};
    function drawChooser() {
      var g = chooser.getContext('2d');
      g.imageSmoothingEnabled = false;
      g.drawImage(picture, 0, 0, 240, 240);
      var step = 240 / a.grid;
      g.strokeStyle = 'rgba(255,255,255,0.35)';
      for (var i = 1; i < a.grid; i++) {
        g.beginPath(); g.moveTo(i * step, 0); g.lineTo(i * step, 240); g.stroke();
        g.beginPath(); g.moveTo(0, i * step); g.lineTo(240, i * step); g.stroke();
      }
      if (state.query >= prefix) {
        var q = state.query - prefix;
        g.strokeStyle = '#00e5ff';
        g.lineWidth = 3;
        g.strokeRect((q % a.grid) * step, Math.floor(q / a.grid) * step, step, step);
        g.lineWidth = 1;
      }
    }
    function drawMaps() {
      var total = 0;
      maps.forEach(function (c, m) {
        var g = c.getContext('2d');
        g.imageSmoothingEnabled = false;
        g.drawImage(picture, 0, 0, size, size);
        var img = g.getImageData(0, 0, size, size);
        var from = (m * a.tokens + state.query) * n;
        for (var y = 0; y < size; y++) {
          for (var x = 0; x < size; x++) {
            var cell = Math.floor(y * a.grid / size) * a.grid + Math.floor(x * a.grid / size);
            var w = weights[from + cell] / 255;
            var rgb = colour(w);
            var o = (y * size + x) * 4;
            var grey = 0.299 * img.data[o] + 0.587 * img.data[o + 1] + 0.114 * img.data[o + 2];
            for (var k = 0; k < 3; k++) { img.data[o + k] = Math.round(0.35 * grey + 0.65 * rgb[k]); }
          }
        }
        g.putImageData(img, 0, 0);
        var sum = 0;
        for (var i = 0; i < n; i++) { sum += weights[from + i] * (i + 1); }
        c.dataset.sum = String(sum);
        total += sum;
      });
      grid.dataset.query = String(state.query);
      grid.dataset.sum = String(total);
      status.textContent = state.query === 0 && hasCls ? 'query: the CLS token'
        : state.query < prefix ? 'query: token ' + state.query + ' (' + a.layout + ')'
        : 'query: patch row ' + Math.floor((state.query - prefix) / a.grid) + ', column '
          + ((state.query - prefix) % a.grid) + ' (token ' + state.query + ')';
    }
    function select(token) {
      if (!(token >= 0 && token < a.tokens)) { throw new Error('query token ' + token + ' is outside 0..' + (a.tokens - 1)); }
      state.query = token;
      drawChooser();
      drawMaps();
    }
    chooser.addEventListener('click', function (e) {
      var r = chooser.getBoundingClientRect();
      var col = Math.floor((e.clientX - r.left) / r.width * a.grid);
      var row = Math.floor((e.clientY - r.top) / r.height * a.grid);
      select(prefix + row * a.grid + col);
    });
    cls.addEventListener('click', function () { select(0); });
    var section = el('div', {'class': 'explorer'}, [
      el('div', {'class': 'side'}, [chooser, cls, status,
        el('p', {'class': 'note', text: 'Each map: the weight the query gives every patch in that layer and head, '
          + 'scaled to the map\'s largest (the weight on ' + (prefix === 1 && hasCls ? 'CLS'
            : 'the tokens before the patches') + ' is not shown).'})]),
      grid]);
    explorers.push({select: select, ready: new Promise(function (resolve) {
      if (picture.complete) { resolve(); } else { picture.onload = resolve; }
    })});
    return section;
  }

  function render() {
    document.title = data.title;
    app.appendChild(el('h1', {text: data.title}));
    app.appendChild(el('p', {'class': 'command', text: data.command}));
    if (data.picturesNote) { app.appendChild(el('p', {'class': 'note', text: data.picturesNote})); }
    if (data.trace) {
      app.appendChild(el('section', {id: 'trace'}, [el('h2', {text: 'Causal trace in this folder'}),
        figure(data.trace, 'heatmap.png', '')]));
    }
    data.images.forEach(function (image, i) {
      var predicted = image.predicted.map(function (p) { return p.name + ' ' + pct(p.p); }).join(' · ');
      var s = el('section', {'class': 'image', id: 'image-' + image.index}, [
        el('h2', {text: 'Image ' + image.index + ': ' + image.name}),
        el('p', {text: 'explained class y = ' + image.label + ' · predicted: ' + predicted})]);
      var row = el('div', {'class': 'row'}, [figure(image.image, 'original', '')]);
      image.figures.forEach(function (f) { row.appendChild(figure(f.png, f.method, f.note)); });
      s.appendChild(row);
      if (image.lens) {
        s.appendChild(el('h3', {text: 'Logit lens: p(class) read from each layer (CLS token)'}));
        s.appendChild(lensChart(image.lens));
      }
      if (image.attention) {
        s.appendChild(el('h3', {text: 'Attention of a query token, every layer and head (click the image)'}));
        s.appendChild(explorer(image));
      }
      if (image.attentionNote) {
        s.appendChild(el('p', {'class': 'note', text: image.attentionNote}));
      }
      app.appendChild(s);
    });
  }

  function queryFromFragment() {
    var m = /query=(\d+)/.exec(window.location.hash);
    return m ? parseInt(m[1], 10) : 0;
  }

  window.vit4jReport = {
    selectQuery: function (image, token) { explorers[image].select(token); }
  };

  render();
  if (/show=attention/.test(window.location.hash)) { document.body.classList.add('only-attention'); }
  window.addEventListener('hashchange', function () {
    explorers.forEach(function (x) { x.select(queryFromFragment()); });
  });
  window.addEventListener('load', function () {
    Promise.all(explorers.map(function (x) { return x.ready; })).then(function () {
      explorers.forEach(function (x) { x.select(queryFromFragment()); });
      var imgs = Array.prototype.slice.call(document.images);
      var loaded = imgs.filter(function (im) { return im.complete && im.naturalWidth > 0; }).length;
      document.body.dataset.images = loaded + '/' + imgs.length;
      document.body.dataset.errors = String(errors.length);
      document.body.dataset.ready = 'true';
    });
  });
})();
