// The registration form, with JavaScript: the time zone select suggests the
// zones of the country chosen and the browser's own zone, moving them into
// its first group. Without JavaScript the select works as it is.
(function () {
  "use strict";
  var country = document.getElementById("country");
  var zone = document.getElementById("time_zone");
  if (!country || !zone) return;
  var likely = zone.querySelector("optgroup");
  if (!likely) return;
  var touched = false;
  var zonesOf = null;
  zone.addEventListener("change", function () { touched = true; });

  function option(name) {
    for (var i = 0; i < zone.options.length; i++) {
      if (zone.options[i].value === name) return zone.options[i];
    }
    return null;
  }
  // Moves the zones to the top of the first group, in order.
  function suggest(names) {
    var before = likely.firstChild;
    names.forEach(function (name) {
      var o = option(name);
      if (o) { likely.insertBefore(o, before); before = o.nextSibling; }
    });
  }
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* old browser */ }
  if (browserZone && !option(browserZone)) {
    // Some browsers still report an older name (Asia/Calcutta, Europe/Kiev);
    // the server knows those too, so offer it as it is.
    var own = document.createElement("option");
    own.value = browserZone;
    own.textContent = browserZone.replace(/^.*\//, "").replace(/_/g, " ");
    likely.insertBefore(own, likely.firstChild);
  }
  if (browserZone) {
    suggest([browserZone]);
    // On a first view (no errors shown), the browser's zone is the best guess.
    var firstView = !document.querySelector("[aria-invalid=true]");
    if (firstView && zone.value === "Asia/Tokyo" && option(browserZone)) zone.value = browserZone;
  }
  country.addEventListener("change", function () {
    var apply = function () {
      var names = (zonesOf && zonesOf[country.value]) || [];
      suggest(names);
      if (!touched && names.length && names.indexOf(zone.value) < 0) zone.value = names[0];
    };
    if (zonesOf) return apply();
    fetch("/static/country-zones.json").then(function (r) { return r.json(); })
      .then(function (map) { zonesOf = map; apply(); })
      .catch(function () { /* the select still works */ });
  });
})();
