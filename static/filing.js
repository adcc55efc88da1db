// New-request form: filter the agency list as you type, and save the form as you go.
// Progressive enhancement only: the form works without this script.
(function () {
  "use strict";
  var form = document.getElementById("filing-form");
  if (!form) { return; }

  var filterBox = form.querySelector(".agency-filter");
  var filter = document.getElementById("agency-filter");
  var options = document.querySelectorAll("#agency-options li");
  if (filterBox && filter) {
    filterBox.hidden = false;
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      options.forEach(function (li) {
        var input = li.querySelector("input");
        var match = !q || li.textContent.toLowerCase().indexOf(q) !== -1 || (input && input.checked);
        li.hidden = !match;
      });
    });
  }

  var status = document.getElementById("autosave-status");
  var timer = null;
  var submitted = false;
  form.addEventListener("submit", function () { submitted = true; clearTimeout(timer); });
  function save() {
    if (submitted) { return; }  // never re-save a form being filed (the server also ignores a late save)
    var data = new FormData(form);
    fetch(form.getAttribute("data-autosave"), {method: "POST", body: data, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) { if (status) { status.textContent = d.saved === false ? d.message : "Draft saved."; } })
      .catch(function () { if (status) { status.textContent = "Could not save the draft just now; your text is still here."; } });
  }
  form.addEventListener("input", function (event) {
    if (event.target === filter) { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 800);
  });
  form.addEventListener("change", function (event) {
    if (event.target === filter) { return; }
    clearTimeout(timer);
    timer = setTimeout(save, 300);
  });
})();
