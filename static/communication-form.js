// Log-a-communication form: show only the fields the chosen kind uses, and preselect the usual direction.
// Each kind-specific group carries data-kinds="kind1 kind2" (rendered from the validator's FIELD_KINDS
// table); the others are hidden and disabled, so they are not submitted. Without JavaScript every field
// shows, with a hint naming the kinds it applies to.
(function () {
  "use strict";
  var form = document.getElementById("communication-form");
  if (!form) { return; }
  var kind = document.getElementById("comm-kind");
  var groups = form.querySelectorAll("[data-kinds]");
  var radios = form.querySelectorAll("input[name=direction]");
  var details = form.querySelector(".kind-details");
  var defaults = {};
  (kind.getAttribute("data-default-directions") || "").split(" ").forEach(function (pair) {
    var parts = pair.split(":");
    if (parts[0]) { defaults[parts[0]] = parts[1] || ""; }
  });
  var directionTouched = false;
  for (var r = 0; r < radios.length; r++) {
    radios[r].addEventListener("change", function () { directionTouched = true; });
  }
  form.classList.add("js-kinds");

  function setDisabled(group, disabled) {
    var controls = group.querySelectorAll("input, select, textarea");
    for (var i = 0; i < controls.length; i++) { controls[i].disabled = disabled; }
  }

  function applyKind() {
    var chosen = kind.value;
    var shownDetails = 0;
    for (var i = 0; i < groups.length; i++) {
      var g = groups[i];
      var applies = chosen !== "" && (" " + g.getAttribute("data-kinds") + " ").indexOf(" " + chosen + " ") !== -1;
      var hasError = g.querySelector(".usa-error-message") !== null;  // never hide a field with an error
      var show = applies || hasError;
      g.hidden = !show;
      setDisabled(g, !show);
      if (show && details && details.contains(g)) { shownDetails++; }
    }
    if (details) { details.hidden = shownDetails === 0; }
  }

  function applyDirection() {
    if (directionTouched || !(kind.value in defaults)) { return; }
    var wanted = defaults[kind.value];
    for (var i = 0; i < radios.length; i++) { radios[i].checked = wanted !== "" && radios[i].value === wanted; }
  }

  kind.addEventListener("change", function () { applyKind(); applyDirection(); });
  applyKind();
}());
