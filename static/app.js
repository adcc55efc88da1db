// Every page: after a failed submit, move keyboard and screen-reader focus to the error summary
// (it has tabindex="-1" and role="alert"), so people hear what to fix and can follow its links.
(function () {
  "use strict";
  function focusErrors() {
    var summary = document.querySelector(".error-summary");
    if (!summary) { return; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
    if (summary.scrollIntoView) { summary.scrollIntoView({ block: "start" }); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusErrors);
  } else {
    focusErrors();
  }
})();
