(function () {
  "use strict";
  var table = document.getElementById("findings-table");
  var controls = document.getElementById("findings-filters");
  if (!table || !controls) { return; }
  var severity = document.getElementById("filter-severity");
  var code = document.getElementById("filter-code");
  var count = document.getElementById("findings-shown");
  var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
  controls.hidden = false;
  function apply() {
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var keep = (!severity.value || row.getAttribute("data-severity") === severity.value) &&
        (!code.value || row.getAttribute("data-code") === code.value);
      row.hidden = !keep;
      if (keep) { shown++; }
    }
    count.textContent = shown + " of " + rows.length + " shown";
  }
  function fromFragment() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    severity.value = params.get("severity") || "";
    code.value = params.get("code") || "";
    if (severity.selectedIndex < 0) { severity.value = ""; }
    if (code.selectedIndex < 0) { code.value = ""; }
    apply();
  }
  function toFragment() {
    var params = new URLSearchParams();
    if (severity.value) { params.set("severity", severity.value); }
    if (code.value) { params.set("code", code.value); }
    var text = params.toString();
    window.history.replaceState(null, "", text ? "#" + text : window.location.pathname + window.location.search);
    apply();
  }
  severity.addEventListener("change", toFragment);
  code.addEventListener("change", toFragment);
  window.addEventListener("hashchange", fromFragment);
  fromFragment();
}());
