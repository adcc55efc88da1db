// New-request form: filter the agency list as you type, and save the form as you go.
// Progressive enhancement only: the form works without this script.
(function () {
  "use strict";
  var form = document.getElementById("filing-form");
  if (!form) { return; }

  // The agency picker: 500+ agencies, filtered as you type by name, abbreviation, department and short name
  // (each <li> carries them in data-search). Chosen agencies always stay visible and are listed above.
  var filterBox = form.querySelector(".agency-filter");
  var filter = document.getElementById("agency-filter");
  var count = document.getElementById("agency-filter-count");
  var chosenBox = document.getElementById("agency-chosen");
  var chosenList = document.getElementById("agency-chosen-list");
  var options = Array.prototype.slice.call(document.querySelectorAll("#agency-options li"));
  function showChosen() {
    if (!chosenBox || !chosenList) { return; }
    var names = [];
    options.forEach(function (li) {
      var input = li.querySelector("input");
      if (input && input.checked) { names.push(input.getAttribute("data-short") || input.value); }
    });
    chosenList.textContent = names.join(", ");
    chosenBox.hidden = names.length === 0;
  }
  // Each typed word must begin a word of the agency's text: "ice" finds ICE (and dhs-ice), not Office,
  // Justice or Services; "immig" finds Immigration.
  function wordsOf(text) { return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean); }
  var optionWords = options.map(function (li) {
    return wordsOf(li.getAttribute("data-search") || li.textContent);
  });
  function applyFilter() {
    var words = wordsOf(filter.value);
    var shown = 0;
    options.forEach(function (li, i) {
      var input = li.querySelector("input");
      var own = optionWords[i];
      var match = words.every(function (w) {
        return own.some(function (t) { return t.lastIndexOf(w, 0) === 0; });
      }) || (input && input.checked);
      li.hidden = !match;
      if (match) { shown += 1; }
    });
    if (count) {
      count.textContent = words.length ? shown + " of " + options.length + " agencies shown" : "";
    }
  }
  if (filterBox && filter) {
    filterBox.hidden = false;
    filter.addEventListener("input", applyFilter);
    filter.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  // Enter in the search box must not file the form
    });
  }
  var list = document.getElementById("agency-options");
  if (list) { list.addEventListener("change", showChosen); }

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
