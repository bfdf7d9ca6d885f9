/* covermap's own page script (MIT, part of covermap): tooltips, evidence popups, search,
   full screen, mini-map, township labels, village names and the bureau side panel; on an
   aggregate map the townships' or counties' counts and county links instead of villages.
   Every text from the data is inserted with textContent, never as HTML. */
function covermapApp(map, villageLayers, control, cfg) {
  "use strict";
  var T = cfg.texts;
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function number(value) {  // grouped by thousands with commas, whatever the browser's locale
    return value === null || value === undefined ? "" : String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  function verdictWord(p, key) { return T["verdict." + p[key + "_verdict"]]; }
  // An aggregate map (cfg.areas: maps/aggregates.py) holds townships or counties with their
  // counts, not villages: its own tooltip, popup and search, keyed by the area's code.
  var areas = cfg.areas;
  function codeOf(p) { return areas ? p.code : p.village_code; }
  function nameOf(p) { return areas ? p.name : p.village_name; }
  function share(p) { return p.villages ? Math.round(100 * p.counted / p.villages) + "%" : ""; }

  function areaTooltip(p) {
    var box = el("div", "covermap-tip");
    box.appendChild(el("strong", null, p.name || p.code));
    box.appendChild(el("div", "meta", p.code));
    box.appendChild(el("div", null, T["area.villages"] + ": " + number(p.villages)));
    box.appendChild(el("div", null, areas.counted + ": " + number(p.counted) + " (" + share(p) + ")"));
    return box;
  }

  function areaPopup(p) {
    var box = el("div", "covermap-popup covermap-area");
    box.setAttribute("data-code", p.code);
    box.appendChild(el("h4", null, p.name || p.code));
    box.appendChild(el("p", "meta", T["popup.code"] + ": " + p.code));
    var table = el("table");
    function row(label, value, key) {
      var tr = el("tr");
      tr.setAttribute("data-count", key);
      tr.appendChild(el("th", null, label));
      tr.appendChild(el("td", "count", value));
      table.appendChild(tr);
    }
    row(T["area.villages"], number(p.villages), "villages");
    row(areas.counted, number(p.counted) + " (" + share(p) + ")", "counted");
    areas.keys.forEach(function (key) {
      row(T["area.failing"].replace("{standard}", T["standard." + key]), number(p.fails[key]), key);
    });
    box.appendChild(table);
    var link = el("a", "covermap-county-link", T["area.county_map"]);
    link.href = p.href;
    box.appendChild(el("p")).appendChild(link);
    return box;
  }

  function tooltip(p) {
    var box = el("div", "covermap-tip");
    box.appendChild(el("strong", null, p.village_name || p.village_code));
    box.appendChild(el("div", "meta", p.village_code + (p.township_name ? " · " + p.township_name : "")));
    cfg.standards.forEach(function (key) {
      box.appendChild(el("div", "v-" + p[key + "_verdict"], T["standard." + key] + ": " + verdictWord(p, key)));
    });
    return box;
  }

  function popup(p) {
    var box = el("div", "covermap-popup");
    box.setAttribute("data-code", p.village_code);
    box.appendChild(el("h4", null, p.village_name || p.village_code));
    var meta = [T["popup.code"] + ": " + p.village_code];
    if (p.township_name) meta.push(T["popup.township"] + ": " + p.township_name);
    if (p.population !== null && p.population !== undefined) meta.push(T["popup.population"] + ": " + number(p.population));
    if (p.poor_population !== null && p.poor_population !== undefined) meta.push(T["popup.poor"] + ": " + number(p.poor_population));
    box.appendChild(el("p", "meta", meta.join(" · ")));
    var table = el("table"), head = el("tr");
    ["standard", "verdict", "measured", "limit", "facility", "reason"].forEach(function (name) {
      head.appendChild(el("th", null, T["popup." + name]));
    });
    table.appendChild(head);
    p.evidence.forEach(function (row) {
      var key = row[0], verdict = p[key + "_verdict"], tr = el("tr");
      tr.setAttribute("data-standard", key);
      tr.setAttribute("data-verdict", verdict);
      tr.appendChild(el("th", null, T["standard." + key]));
      tr.appendChild(el("td", "verdict v-" + verdict, T["verdict." + verdict]));
      tr.appendChild(el("td", "measured", row[1] === null ? "" : cfg.measures[key].replace("{value}", number(row[1]))));
      tr.appendChild(el("td", "limit", cfg.limits[key] || ""));
      tr.appendChild(el("td", "facility", row[2]));
      tr.appendChild(el("td", "reason", row[3]));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  var main = villageLayers[0], index = {};
  if (main.covermapTiled) { tiledVillages(); } else {
    main.eachLayer(function (sub) { index[codeOf(sub.feature.properties)] = sub; });
    // The other layers (a standard's failing villages) arrive as ids: drawn from the main layer's features.
    cfg.fill.forEach(function (codes, i) {
      villageLayers[i + 1].addData(codes.map(function (code) { return index[code].feature; }));
    });
    villageLayers.forEach(function (layer) {
      layer.eachLayer(function (sub) {
        var p = sub.feature.properties;
        if (areas) {
          sub.bindTooltip(function () { return areaTooltip(p); }, {sticky: true});
          sub.bindPopup(function () { return areaPopup(p); }, {maxWidth: 420, minWidth: 260});
        } else {
          sub.bindTooltip(function () { return tooltip(p); }, {sticky: true});
          sub.bindPopup(function () { return popup(p); }, {maxWidth: 640, minWidth: 420});
        }
      });
    });
  }

  // Villages (and large inputs) drawn on canvas tiles (maps/tiles.py, tiles.js): one store of
  // outlines; hover and click are looked up in it, since a tile is one picture, not one path a village.
  function tiledVillages() {
    var store = main.store, tip = L.tooltip({sticky: true, direction: "auto"}), hovered = null, outline = null;
    Object.keys(store.byCode).forEach(function (code) {
      var i = store.byCode[code];
      index[code] = {feature: {properties: store.props[i]}, shape: i,
                     getBounds: function () { return store.bounds(i); },
                     openPopup: function () { openPopup(i, store.label(i)); }};
    });
    cfg.fill.forEach(function (codes, j) {
      villageLayers[j + 1].setShown(codes.map(function (code) { return store.byCode[code]; }));
    });
    function openPopup(i, latlng) {
      L.popup({maxWidth: 640, minWidth: 420}).setLatLng(latlng).setContent(popup(store.props[i])).openOn(map);
    }
    function found(latlng) {  // {layer, i}: the topmost drawn shape under the pointer, inputs first
      var layers = [];
      map.eachLayer(function (layer) { if (layer.covermapTiled) layers.push(layer); });
      layers.sort(function (a, b) { return (a.store === store) - (b.store === store); });
      for (var j = 0; j < layers.length; j++) {
        var i = layers[j].shapeAt(latlng);
        if (i >= 0) return {layer: layers[j], i: i};
      }
      return null;
    }
    function shapeTooltip(hit) {
      if (hit.layer.store === store) return tooltip(store.props[hit.i]);
      var box = el("div", "covermap-tip"), p = hit.layer.store.props[hit.i];
      hit.layer.options.fields.forEach(function (field) {
        box.appendChild(el("div", null, field[0] + ": " + (p[field[1]] === null || p[field[1]] === undefined ? "" : p[field[1]])));
      });
      return box;
    }
    function leave() {
      if (hovered === null) return;
      map.closeTooltip(tip);
      if (outline) map.removeLayer(outline);
      hovered = outline = null;
      map.getContainer().style.cursor = "";
    }
    map.on("mousemove", function (event) {
      var hit = found(event.latlng);
      if (!hit) { leave(); return; }
      var key = L.stamp(hit.layer) + ":" + hit.i;
      if (key !== hovered) {
        leave();
        hovered = key;
        tip.setContent(shapeTooltip(hit));
        if (hit.layer.store === store) {
          outline = L.polygon(store.latlngs(hit.i), {color: "#404040", weight: 3, fill: false, interactive: false})
            .addTo(map);
        }
        map.getContainer().style.cursor = "pointer";
      }
      tip.setLatLng(event.latlng);
      if (!map.hasLayer(tip)) map.openTooltip(tip);
    });
    map.on("mouseout", leave);
    map.on("click", function (event) {
      var hit = found(event.latlng);
      if (hit && hit.layer.store === store) { leave(); openPopup(hit.i, event.latlng); }
    });
  }
  function zoomTo(code) {
    var layer = index[code];
    if (!layer) return false;
    if (!map.hasLayer(main)) map.addLayer(main);
    map.fitBounds(layer.getBounds(), {maxZoom: areas ? 12 : 15, padding: [40, 40], animate: false});
    layer.openPopup();
    return true;
  }

  // Township boundaries and names, one overlay.
  if (cfg.townships && cfg.townships.features.length) {
    var group = L.layerGroup(), labels = [];
    L.geoJSON(cfg.townships, {style: cfg.townshipStyle, interactive: false, onEachFeature: function (f, outline) {
      var label = el("div", null, f.properties.name);
      var marker = L.marker([f.properties.label[1], f.properties.label[0]], {
        interactive: false, keyboard: false,
        icon: L.divIcon({className: "covermap-township-label", html: label, iconSize: null})
      }).addTo(group);
      labels.push({marker: marker, outline: outline, bounds: outline.getBounds()});
    }}).addTo(group);
    // A name shows once its township is wide enough on screen to hold it, and its outline is
    // drawn thin until then: a province's thousand names and thick lines would cover the map.
    function placeLabels() {
      labels.forEach(function (item) {
        var west = map.latLngToLayerPoint(item.bounds.getSouthWest()), east = map.latLngToLayerPoint(item.bounds.getNorthEast());
        var wide = east.x - west.x >= 40, node = item.marker.getElement();
        if (node) node.style.display = wide ? "" : "none";
        item.outline.setStyle({weight: wide ? cfg.townshipStyle.weight : 0.8});
      });
    }
    map.on("zoomend", placeLabels);
    group.on("add", placeLabels);
    group.addTo(map);
    placeLabels();
    if (control) control.addOverlay(group, T["layer.townships"]);
  }

  // Village names (a township's map): each at its label point, shown while it fits inside its
  // village (the village's horizontal and vertical chords through the point hold the label)
  // and overlaps no name already placed, the widest villages' first. One overlay.
  if (cfg.villageLabels && cfg.villageLabels.length) {
    var names = L.layerGroup(), named = cfg.villageLabels.map(function (row) {
      var text = el("div", null, row[1]);
      text.setAttribute("data-code", row[0]);
      var marker = L.marker([row[3], row[2]], {interactive: false, keyboard: false, icon: L.divIcon(
        {className: "covermap-village-label", html: text, iconSize: null})}).addTo(names);
      return {marker: marker, text: text, lat: row[3], lon: row[2], west: row[4], east: row[5], south: row[6],
              north: row[7], size: null};
    });
    named.sort(function (a, b) { return (b.east - b.west) - (a.east - a.west); });
    function taken() {  // the township names shown: boxes in the map container's pixels
      var origin = map.getContainer().getBoundingClientRect(), boxes = [];
      document.querySelectorAll(".covermap-township-label div").forEach(function (node) {
        var r = node.getBoundingClientRect();
        if (r.width) boxes.push({x1: r.left - origin.left, y1: r.top - origin.top, x2: r.right - origin.left, y2: r.bottom - origin.top});
      });
      return boxes;
    }
    function placeNames() {
      if (!map.hasLayer(names)) return;
      var boxes = taken();
      named.forEach(function (item) {
        var node = item.marker.getElement();
        if (!node) return;
        node.style.display = "";
        if (!item.size) item.size = {w: item.text.offsetWidth, h: item.text.offsetHeight};
        var at = map.latLngToContainerPoint([item.lat, item.lon]);
        var wide = map.latLngToContainerPoint([item.lat, item.east]).x - map.latLngToContainerPoint([item.lat, item.west]).x;
        var tall = map.latLngToContainerPoint([item.south, item.lon]).y - map.latLngToContainerPoint([item.north, item.lon]).y;
        var box = {x1: at.x - item.size.w / 2 - 2, y1: at.y - item.size.h / 2, x2: at.x + item.size.w / 2 + 2, y2: at.y + item.size.h / 2};
        var free = !boxes.some(function (b) { return b.x1 < box.x2 && box.x1 < b.x2 && b.y1 < box.y2 && box.y1 < b.y2; });
        var shown = wide >= item.size.w + 4 && tall >= item.size.h && free;
        node.style.display = shown ? "" : "none";
        node.classList.toggle("covermap-shown", shown);
        if (shown) boxes.push(box);
      });
    }
    map.on("zoomend", placeNames);
    names.on("add", function () { setTimeout(placeNames, 0); });
    names.addTo(map);
    placeNames();
    if (control) control.addOverlay(names, T["layer.village_names"]);
  }

  // Search by village name or code.
  var Search = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = el("div", "covermap-search leaflet-bar"), input = el("input"), list = el("ul");
      input.type = "search";
      input.placeholder = areas ? areas.search : T["search.placeholder"];
      input.setAttribute("aria-label", input.placeholder);
      box.appendChild(input);
      box.appendChild(list);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      function matches(query) {
        query = query.trim().toLowerCase();
        var found = [];
        if (!query) return found;
        Object.keys(index).some(function (code) {
          var p = index[code].feature.properties;
          if (String(nameOf(p) || "").toLowerCase().indexOf(query) >= 0 || code.indexOf(query) === 0) found.push(p);
          return found.length >= 10;
        });
        return found;
      }
      function choose(p) { list.textContent = ""; input.value = nameOf(p) || codeOf(p); zoomTo(codeOf(p)); }
      input.addEventListener("input", function () {
        list.textContent = "";
        var found = matches(input.value);
        if (!found.length && input.value.trim()) list.appendChild(el("li", "none", T[areas ? "area.none" : "search.none"]));
        found.forEach(function (p) {
          var li = el("li", null, areas ? (p.name || "") + " · " + p.code
                                        : (p.village_name || "") + " · " + (p.township_name || "") + " · " + p.village_code);
          li.setAttribute("data-code", codeOf(p));
          li.addEventListener("click", function () { choose(p); });
          list.appendChild(li);
        });
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          var found = matches(input.value);
          if (found.length) choose(found[0]);
        }
      });
      return box;
    }
  });
  new Search().addTo(map);

  // Full screen: the whole page (map, legend and panel together).
  var Fullscreen = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = el("div", "leaflet-bar covermap-fullscreen"), button = el("a", null, "⤢");
      button.href = "#";
      button.title = T["control.fullscreen"];
      button.setAttribute("role", "button");
      box.appendChild(button);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.on(button, "click", function (event) {
        L.DomEvent.preventDefault(event);
        var page = document.documentElement;
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (page.requestFullscreen) { page.requestFullscreen().catch(function () {}); }
      });
      document.addEventListener("fullscreenchange", function () {
        document.body.classList.toggle("covermap-is-fullscreen", !!document.fullscreenElement);
        map.invalidateSize();
      });
      return box;
    }
  });
  new Fullscreen().addTo(map);

  // Mini-map: the county's township outlines (no tiles, so it works offline) and the view.
  var outlines = areas ? main.toGeoJSON() : cfg.minimap || cfg.townships;
  if (outlines && outlines.features.length) {
    var Mini = L.Control.extend({
      options: {position: "bottomright"},
      onAdd: function () {
        var box = el("div", "covermap-minimap");
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      }
    });
    var miniControl = new Mini().addTo(map);
    var mini = L.map(miniControl.getContainer(), {attributionControl: false, zoomControl: false, dragging: false,
      touchZoom: false, scrollWheelZoom: false, doubleClickZoom: false, boxZoom: false, keyboard: false, zoomSnap: 0.1});
    var outline = L.geoJSON(outlines, {style: {color: "#555", weight: 1, fillColor: "#bbb", fillOpacity: 0.5},
                                          interactive: false}).addTo(mini);
    mini.fitBounds(outline.getBounds(), {padding: [4, 4]});
    map.whenReady(function () {
      var view = L.rectangle(map.getBounds(), {color: "#d7191c", weight: 2, fill: false, interactive: false}).addTo(mini);
      map.on("moveend", function () { view.setBounds(map.getBounds()); });
    });
    mini.on("click", function (event) { map.panTo(event.latlng); });
    window.covermapMinimap = mini;
  }

  // A bureau's failing villages, in priority order, beside the map.
  if (cfg.panel) {
    var panel = el("div", "covermap-panel");
    panel.appendChild(el("h4", null, cfg.panel.title));
    if (!cfg.panel.items.length) panel.appendChild(el("p", null, T["panel.none"]));
    var list = el("ol");
    cfg.panel.items.forEach(function (item) {
      var li = el("li");
      li.setAttribute("data-code", item.code);
      var name = el(item.drawn ? "a" : "span", "name", item.name || item.code);
      if (item.drawn) {
        name.href = "#";
        name.addEventListener("click", function (event) { event.preventDefault(); zoomTo(item.code); });
      }
      li.appendChild(name);
      li.appendChild(el("span", "where", " " + (item.township || "") + (item.drawn || areas ? "" : " " + T["panel.undrawn"])));
      li.appendChild(el("div", "reason", T["standard." + item.standard] + ": " + item.reason));
      list.appendChild(li);
    });
    panel.appendChild(list);
    document.body.appendChild(panel);
  }
  window.covermap = {map: map, zoomTo: zoomTo, index: index, store: main.store || null};
}
