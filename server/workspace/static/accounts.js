// The accounts table's address carries its shown columns, like its other state (shareable;
// the back button returns to the columns shown before): a table opened without `cols` (the
// menu's link: the user's remembered columns, else the default) gets them in its address.
(function () {
  "use strict";
  var table = document.querySelector("table.accounts[data-cols]");
  if (!table || !window.history || !window.URL) {
    return;
  }
  var url = new URL(window.location.href);
  if (!url.searchParams.get("cols")) {
    url.searchParams.set("cols", table.getAttribute("data-cols"));
    window.history.replaceState(window.history.state, "", url.toString());
  }
}());
