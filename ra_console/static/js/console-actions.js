// The console lists' "With selected" menus (Flask-Admin): each item calls
// modelActions.execute('<action>') from an inline onclick attribute, which the
// Content-Security-Policy (no inline script) blocks, so the menu did nothing. The same
// call is bound here, from a file. Loaded with `defer`: it runs after Flask-Admin's
// actions.js, which defines modelActions.
"use strict";
document.querySelectorAll("[onclick*='modelActions.execute(']").forEach(function (item) {
  var found = /modelActions\.execute\('([^']*)'\)/.exec(item.getAttribute("onclick"));
  if (!found || !window.modelActions) { return; }
  item.addEventListener("click", function (event) {
    event.preventDefault();
    window.modelActions.execute(found[1]);
  });
});
