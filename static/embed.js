/* For the embedding (town) page: sizes each gallery iframe marked data-gallery-embed to its
   content. The town page loads this script from the gallery's own origin (snippet: docs/embedding.md,
   or the gallery's /embed page).
   Accepts a height only from the gallery's origin (the origin this script came from) and only
   from the window of the iframe it resizes; heights are bounded. No dependencies, no cookies. */
(function () {
  "use strict";
  var script = document.currentScript, origin, MIN = 150, MAX = 30000;
  if (!script || !window.URL) return;
  origin = new URL(script.src, location.href).origin;

  function frames() { return document.querySelectorAll("iframe[data-gallery-embed]"); }

  window.addEventListener("message", function (e) {
    var data = e.data, height;
    if (e.origin !== origin || !data || data.type !== "gallery:height") return;
    height = data.height;
    if (typeof height !== "number" || !isFinite(height)) return;
    height = Math.min(MAX, Math.max(MIN, Math.ceil(height)));
    Array.prototype.forEach.call(frames(), function (frame) {
      if (frame.contentWindow === e.source) frame.style.height = height + "px";
    });
  });

  // The gallery may have told its height before this script listened: ask once more. A frame
  // still on its initial about:blank (readable, same origin) is asked when it has loaded.
  function ask(frame) {
    if (frame.contentWindow) frame.contentWindow.postMessage({ type: "gallery:ping" }, origin);
  }
  Array.prototype.forEach.call(frames(), function (frame) {
    var blank;
    try { blank = frame.contentWindow.location.href === "about:blank"; } catch (e) { blank = false; }
    if (!blank) ask(frame);
    frame.addEventListener("load", function () { ask(frame); });
  });
})();
