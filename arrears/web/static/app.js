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
  // Ctrl+Enter (or ⌘+Enter) sends the form being filled in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target && event.target.form;
    if (!form || form.method !== "post") return;
    event.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
  // A case's forms: the key shown beside an action (data-shortcut) opens it; Escape goes back
  // to the case (never while typing in a field).
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.key === "n") return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
    if (typing) return;
    var link = null;
    document.querySelectorAll("[data-shortcut]").forEach(function (candidate) {
      if (!link && candidate.getAttribute("data-shortcut") === event.key) link = candidate;
    });
    if (!link) return;
    event.preventDefault();
    link.click();
  });
  // The language switcher submits on change; its button stays for those without this script.
  var language = document.getElementById("language");
  if (language) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
})();
