// Progressive enhancement only: every form works without this file.
// "n" submits the next-case form (not while typing in a field or with a modifier key).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
    var form = document.getElementById("next-case");
    if (!form) return;
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
  // The language switcher submits on change; its button stays for those without this script.
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();
