/* account360: the one global namespace shared by every content-script file, the
 * extension pages (popup, full view) and the server's widget preview page.
 * Files listed in one manifest content_scripts entry run in order in the same
 * isolated world, so each later file attaches itself to this object. */
(function () {
  "use strict";
  const A360 = globalThis.A360 || {};
  A360.version = "0.2.0";
  /* Performance marks for "widget visible" measurements (read by the browser tests). */
  A360.mark = function (name) {
    try {
      performance.mark("a360:" + name);
    } catch (_) {
      /* marks are best effort */
    }
  };
  globalThis.A360 = A360;
})();
