/* covermap's tiled vector rendering (MIT, part of covermap), used when a map holds more shapes
   than SVG paths can draw briskly (maps/tiles.py decides). The shapes arrive once, as packed
   integer coordinates (covermapStore); each layer draws the shapes it shows onto 256-pixel
   canvas tiles at the current zoom, skipping vertices closer than half a pixel, so the page
   holds one canvas per tile instead of one path per shape. Hit tests (hover, click) look the
   pointer up in a grid index and test the shape itself. */

// Web Mercator in units of the world's width (0..1), as Leaflet's EPSG:3857 at zoom 0 / 256.
function covermapMercator(lon, lat) {
  var s = Math.sin(Math.max(Math.min(lat, 85.0511287798), -85.0511287798) * Math.PI / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

function covermapStore(data) {
  "use strict";
  // data: kind ("polygon", "line" or "point"), props (one object a shape), parts (rings or lines
  // of each shape), sizes (vertices of each ring or line), xy (lon/lat * 1e5, each ring's first
  // vertex absolute, then differences), labels ([lon, lat] inside each shape, or null).
  var n = data.parts.length, coords = [], box = new Float64Array(4 * n);
  var k = 0, r = 0, GRID = 128;
  var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (var i = 0; i < n; i++) {
    var rings = [], x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (var p = 0; p < data.parts[i]; p++, r++) {
      var size = data.sizes[r], ring = new Float64Array(2 * size), lon = 0, lat = 0;
      for (var v = 0; v < size; v++, k += 2) {
        lon = v ? lon + data.xy[k] : data.xy[k];
        lat = v ? lat + data.xy[k + 1] : data.xy[k + 1];
        var m = covermapMercator(lon / 1e5, lat / 1e5);
        ring[2 * v] = m[0]; ring[2 * v + 1] = m[1];
        if (m[0] < x0) x0 = m[0]; if (m[0] > x1) x1 = m[0];
        if (m[1] < y0) y0 = m[1]; if (m[1] > y1) y1 = m[1];
      }
      rings.push(ring);
    }
    coords.push(rings);
    box[4 * i] = x0; box[4 * i + 1] = y0; box[4 * i + 2] = x1; box[4 * i + 3] = y1;
    if (x0 < minX) minX = x0; if (y0 < minY) minY = y0; if (x1 > maxX) maxX = x1; if (y1 > maxY) maxY = y1;
  }
  // A uniform grid over the data's extent: each cell lists the shapes whose box touches it.
  var width = Math.max(maxX - minX, 1e-12), height = Math.max(maxY - minY, 1e-12), cells = [];
  for (var c = 0; c < GRID * GRID; c++) cells.push([]);
  function cell(value, low, span) { return Math.max(0, Math.min(GRID - 1, Math.floor((value - low) / span * GRID))); }
  for (i = 0; i < n; i++) {
    if (!coords[i].length) continue;
    var cx0 = cell(box[4 * i], minX, width), cx1 = cell(box[4 * i + 2], minX, width);
    var cy0 = cell(box[4 * i + 1], minY, height), cy1 = cell(box[4 * i + 3], minY, height);
    for (var cy = cy0; cy <= cy1; cy++) for (var cx = cx0; cx <= cx1; cx++) cells[cy * GRID + cx].push(i);
  }
  var seen = new Uint32Array(n), stamp = 0;

  function query(x0, y0, x1, y1) {  // shapes whose box meets the box, in drawing order
    var found = [];
    if (x1 < minX || x0 > maxX || y1 < minY || y0 > maxY) return found;
    stamp += 1;
    var a0 = cell(x0, minX, width), a1 = cell(x1, minX, width), b0 = cell(y0, minY, height), b1 = cell(y1, minY, height);
    for (var b = b0; b <= b1; b++) for (var a = a0; a <= a1; a++) {
      var list = cells[b * GRID + a];
      for (var j = 0; j < list.length; j++) {
        var s = list[j];
        if (seen[s] === stamp) continue;
        seen[s] = stamp;
        if (box[4 * s] <= x1 && box[4 * s + 2] >= x0 && box[4 * s + 1] <= y1 && box[4 * s + 3] >= y0) found.push(s);
      }
    }
    return found.sort(function (u, w) { return u - w; });
  }

  function inside(i, x, y) {  // even-odd over every ring: holes and separate parts both work
    var odd = false;
    coords[i].forEach(function (ring) {
      for (var a = 0, b = ring.length - 2; a < ring.length; b = a, a += 2) {
        var ya = ring[a + 1], yb = ring[b + 1];
        if ((ya > y) !== (yb > y) && x < (ring[b] - ring[a]) * (y - ya) / (yb - ya) + ring[a]) odd = !odd;
      }
    });
    return odd;
  }

  function near(i, x, y, tolerance, closed) {  // a line or point (or a ring's line, ``closed``) within ``tolerance``
    var t2 = tolerance * tolerance;
    return coords[i].some(function (ring) {
      if (ring.length === 2) return (ring[0] - x) * (ring[0] - x) + (ring[1] - y) * (ring[1] - y) <= t2;
      for (var a = 2; a < ring.length + (closed ? 2 : 0); a += 2) {
        var b = a % ring.length, ax = ring[a - 2], ay = ring[a - 1], dx = ring[b] - ax, dy = ring[b + 1] - ay;
        var len = dx * dx + dy * dy, t = len ? ((x - ax) * dx + (y - ay) * dy) / len : 0;
        t = Math.max(0, Math.min(1, t));
        var ex = ax + t * dx - x, ey = ay + t * dy - y;
        if (ex * ex + ey * ey <= t2) return true;
      }
      return false;
    });
  }

  function toLatLng(x, y) {
    return L.latLng(Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180 / Math.PI, x * 360 - 180);
  }

  var byCode = {};
  data.props.forEach(function (p, j) { if (p.village_code !== undefined) byCode[p.village_code] = j; });

  return {
    kind: data.kind, props: data.props, coords: coords, byCode: byCode, size: n, query: query,
    // The topmost shape under world point (x, y) that ``keep`` accepts, or -1.
    hit: function (x, y, tolerance, keep, outline) {  // ``outline``: polygons drawn unfilled, hit on their line
      var found = query(x - tolerance, y - tolerance, x + tolerance, y + tolerance);
      for (var j = found.length - 1; j >= 0; j--) {
        var s = found[j];
        if (keep && !keep(s)) continue;
        if (data.kind === "polygon" && !outline ? inside(s, x, y) : near(s, x, y, tolerance, data.kind === "polygon")) return s;
      }
      return -1;
    },
    width: function (i) { return Math.max(box[4 * i + 2] - box[4 * i], box[4 * i + 3] - box[4 * i + 1]); },
    bounds: function (i) {
      return L.latLngBounds(toLatLng(box[4 * i], box[4 * i + 3]), toLatLng(box[4 * i + 2], box[4 * i + 1]));
    },
    latlngs: function (i) {
      return coords[i].map(function (ring) {
        var out = [];
        for (var a = 0; a < ring.length; a += 2) out.push(toLatLng(ring[a], ring[a + 1]));
        return out;
      });
    },
    label: function (i) {
      var at = data.labels && data.labels[i];
      return at ? L.latLng(at[1], at[0]) : this.bounds(i).getCenter();
    }
  };
}

// A layer drawing ``store``'s shapes on canvas tiles. options: styles (Leaflet path options),
// classes (the style index of each shape; style 0 for all when absent), only (shape indices to
// draw; all when absent), name; tooltip fields for non-village layers: fields [[label, key]].
function covermapTiles(store, options) {
  "use strict";
  if (!L.CovermapTiles) {
    L.CovermapTiles = L.GridLayer.extend({
      options: {pane: "covermapShapes", updateWhenZooming: false, keepBuffer: 1},
      initialize: function (data, opts) {
        this.store = data;
        this.covermapTiled = true;
        L.setOptions(this, opts);
        this.setShown(opts.only || null);
      },
      onAdd: function (map) {
        if (!map.getPane("covermapShapes")) {
          map.createPane("covermapShapes").style.zIndex = 350;  // above basemaps, below SVG overlays
        }
        L.GridLayer.prototype.onAdd.call(this, map);
      },
      // Draw only the shapes at these indices (null: all), e.g. a standard's failing villages.
      setShown: function (indices) {
        if (indices === null) { this.shown = null; }
        else {
          this.shown = new Uint8Array(this.store.size);
          for (var j = 0; j < indices.length; j++) this.shown[indices[j]] = 1;
        }
        if (this._map) this.redraw();
        return this;
      },
      // More points than this on one tile are not drawn there (nor hovered): zoom in to see them.
      crowded: 1000,
      // Points shrink by a pixel a zoom level below 11 (to 1.5 px): tens of thousands of
      // clinics at their full size would hide a province's villages.
      radius: function (radius, zoom) { return Math.max(1.5, Math.min(radius, radius - (11 - zoom))); },
      shows: function (i) { return this.shown === null || this.shown[i] === 1; },
      styleOf: function (i) {
        var s = this.options.styles[this.options.classes ? this.options.classes[i] : 0];
        return {color: s.color || "#3388ff", weight: s.weight === undefined ? 3 : s.weight,
                opacity: s.opacity === undefined ? 1 : s.opacity, fill: s.fill === undefined ? this.store.kind === "polygon" : s.fill,
                fillColor: s.fillColor || s.color || "#3388ff", fillOpacity: s.fillOpacity === undefined ? 0.2 : s.fillOpacity,
                radius: s.radius === undefined ? 5 : s.radius,
                dash: s.dashArray ? String(s.dashArray).split(/[ ,]+/).map(Number) : []};
      },
      createTile: function (coords) {
        var tile = L.DomUtil.create("canvas", "leaflet-tile"), size = this.getTileSize();
        var ratio = window.devicePixelRatio || 1, store = this.store;
        tile.width = size.x * ratio; tile.height = size.y * ratio;
        var ctx = tile.getContext("2d");
        ctx.scale(ratio, ratio);
        ctx.lineJoin = "round"; ctx.lineCap = "round";
        var scale = size.x * Math.pow(2, coords.z), ox = coords.x * size.x, oy = coords.y * size.y, pad = 12;
        var found = store.query((ox - pad) / scale, (oy - pad) / scale, (ox + size.x + pad) / scale,
                                (oy + size.y + pad) / scale);
        if (store.kind === "point" && found.length > this.crowded) return tile;
        for (var j = 0; j < found.length; j++) {
          var i = found[j];
          if (!this.shows(i)) continue;
          var s = this.styleOf(i), radius = this.radius(s.radius, coords.z);
          ctx.beginPath();
          store.coords[i].forEach(function (ring) {
            var last = ring.length - 2, px = ring[0] * scale - ox, py = ring[1] * scale - oy;
            if (store.kind === "point") { ctx.moveTo(px + radius, py); ctx.arc(px, py, radius, 0, 2 * Math.PI); return; }
            ctx.moveTo(px, py);
            for (var a = 2; a <= last; a += 2) {
              var qx = ring[a] * scale - ox, qy = ring[a + 1] * scale - oy;
              if (a < last && Math.abs(qx - px) + Math.abs(qy - py) < 0.5) continue;
              ctx.lineTo(qx, qy); px = qx; py = qy;
            }
            if (store.kind === "polygon") ctx.closePath();
          });
          if (s.fill && s.fillOpacity > 0) {
            ctx.globalAlpha = s.fillOpacity; ctx.fillStyle = s.fillColor; ctx.fill("evenodd");
          }
          // A polygon a few pixels wide gets a thinner outline (none below ~2 px), or a
          // province seen whole would be all outline and no colour.
          var weight = store.kind === "polygon" ? Math.min(s.weight, store.width(i) * scale / 8) : s.weight;
          if (weight >= 0.25 && s.opacity > 0) {
            ctx.globalAlpha = s.opacity; ctx.strokeStyle = s.color; ctx.lineWidth = weight;
            ctx.setLineDash(s.dash); ctx.stroke();
          }
        }
        return tile;
      },
      // The shape under ``latlng`` that this layer draws, or -1; lines and points within a few pixels.
      shapeAt: function (latlng) {
        if (!this._map) return -1;
        var m = covermapMercator(latlng.lng, latlng.lat), self = this;
        var zoom = this._map.getZoom();
        // an unfilled polygon (a water service area's outline) takes the pointer on its line only, as an
        // SVG path without fill does: the villages under it keep their hover and click
        var outline = this.store.kind === "polygon" && !this.styleOf(0).fill;
        var tolerance = (this.store.kind === "polygon" && !outline ? 0 : 5 + (this.store.kind === "point" ? this.radius(this.styleOf(0).radius, zoom) : 0))
          / (256 * Math.pow(2, zoom));
        if (this.store.kind === "point") {
          var half = 128 / (256 * Math.pow(2, zoom));
          if (this.store.query(m[0] - half, m[1] - half, m[0] + half, m[1] + half).length > this.crowded) return -1;
        }
        return this.store.hit(m[0], m[1], tolerance, function (i) { return self.shows(i); }, outline);
      }
    });
  }
  return new L.CovermapTiles(store, options);
}
