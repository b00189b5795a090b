// dyadwatch dashboard: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Changing the as-of date reloads the page as of that date (the form also has a button).
  var asOf = document.getElementById("as_of");
  if (asOf && asOf.form) {
    asOf.addEventListener("change", function () {
      if (asOf.value && asOf.checkValidity()) asOf.form.submit();
    });
  }

  // Timeline and indicators: a changed select applies the filters at once; empty fields
  // leave the URL.
  ["timeline-filters", "indicator-filters"].forEach(function (id) {
    var filters = document.getElementById(id);
    if (!filters) return;
    filters.querySelectorAll("select").forEach(function (el) {
      el.addEventListener("change", function () { filters.requestSubmit(); });
    });
    filters.addEventListener("submit", function () {
      filters.querySelectorAll("input, select").forEach(function (el) {
        if (!el.value) el.disabled = true;
      });
    });
  });
})();
