/* Progressive enhancement for the gallery: play, consent and withdrawal in place, and the page
   height for the embedding site. Without this file every control works through its form.
   Plain JavaScript, no dependencies, no build step; everything it shows comes from the server. */
(function () {
  "use strict";
  var d = document, root = d.documentElement, live = d.getElementById("live"), busy = false;

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function say(text) {
    // Emptied first, so that the same message is announced again.
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 150);
  }

  function message(key) { return live.getAttribute("data-" + key); }

  // The server stays the one authority on what a page shows: ask it, and take parts of its answer.
  function fetchPage(url, body) {
    return fetch(url, { method: body ? "POST" : "GET", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  function post(form, scope) {
    var data = new FormData(form);
    if (scope) data.set("scope", scope);
    return fetchPage(form.action, new URLSearchParams(data));
  }

  // Replace the parts of this page that depend on consent with the server's current version.
  function swap(page, withMedia) {
    each(d.querySelectorAll("[data-swap]"), function (el) {
      var fresh = page.getElementById(el.id);
      if (fresh && (withMedia || el.getAttribute("data-swap") !== "media")) {
        el.replaceWith(d.importNode(fresh, true));
      }
    });
  }

  // One player, in the clicked slot only; the media box keeps its aspect ratio, so nothing shifts.
  function play(slot, page, note) {
    var source = page.querySelector("iframe.player"), frame, url;
    if (!source) throw new Error("no player");
    frame = d.importNode(source, true);
    frame.removeAttribute("autofocus"); // focus is moved below; browsers refuse autofocus in frames
    url = new URL(frame.src);
    url.searchParams.set("autoplay", "1");
    frame.src = url.href;
    slot.querySelector(".media").replaceChildren(frame);
    slot.querySelector(".controls").replaceChildren(note ? d.importNode(note, true) : "");
    frame.focus();
    say((note ? note.textContent + " " : "") + message("loaded"));
  }

  function consent(form, scope, slot) {
    if (scope !== "always") return post(form, "once").then(function (page) { play(slot, page); });
    return post(form, "always").then(function (page) {
      var refused = page.querySelector("[data-refused]");
      if (refused) {
        // The browser did not keep the cookie (e.g. inside another site's iframe): play this
        // one video, as agreed, and say kindly that each video will ask again.
        refused.removeAttribute("role");
        refused.removeAttribute("autofocus");
        return post(form, "once").then(function (again) { play(slot, again, refused); });
      }
      // This page as it is now (its own address: after a plain POST the URL is /consent).
      return fetchPage(root.getAttribute("data-here") || location.href).then(function (current) {
        swap(current, false);
        play(slot, page);
      });
    });
  }

  function playRemembered(form, slot) {
    var query = new URLSearchParams(new FormData(form)).toString();
    return fetchPage(form.action.split("#")[0] + (query ? "?" + query : "")).then(function (page) {
      play(slot, page);
    });
  }

  function revoke(form) {
    return post(form).then(function (page) {
      swap(page, true);
      var heading = d.querySelector("main h1") || d.getElementById("main");
      heading.tabIndex = -1;
      heading.focus();
      say(message("revoked"));
    });
  }

  // If anything goes wrong, fall back to the plain form: the server answers it without script.
  function plain(form, button) {
    var field;
    say(message("failed"));
    if (button && button.name) {
      field = d.createElement("input");
      field.type = "hidden";
      field.name = button.name;
      field.value = button.value;
      form.appendChild(field);
    }
    form.submit();
  }

  d.addEventListener("submit", function (e) {
    var form = e.target, button = e.submitter, slot = form.closest("[data-slot]"), cls = form.classList, job;
    if (!window.fetch || !window.DOMParser) return;
    if (cls.contains("revoke")) job = function () { return revoke(form); };
    else if (slot && cls.contains("play")) job = function () { return playRemembered(form, slot); };
    else if (slot && button && cls.contains("consent")) job = function () { return consent(form, button.value, slot); };
    else return;
    e.preventDefault();
    if (busy) return;
    busy = true;
    job().catch(function () { plain(form, button); }).then(function () { busy = false; });
  });

  // "Copy link" exists only where this script runs; without it the link beside it is there to copy.
  each(d.querySelectorAll("[data-copy-link]"), function (button) {
    var link = button.parentNode.querySelector("[data-permalink]"), url = link.href;
    // Inside another site's frame the Clipboard API may be refused: copy a selection instead.
    function selected() {
      var range = d.createRange(), sel = getSelection();
      range.selectNodeContents(link);
      sel.removeAllRanges();
      sel.addRange(range);
      if (!d.execCommand("copy")) throw new Error("copy refused");
    }
    link.textContent = url; // the full address, as it will be pasted
    button.hidden = false;
    button.addEventListener("click", function () {
      (navigator.clipboard ? navigator.clipboard.writeText(url) : Promise.reject()).catch(selected)
        .then(function () { say(message("copied")); }, function () { say(message("copy-failed")); });
    });
  });

  // Embedded: tell the parent page our height, but only an allowed parent, never any origin.
  var allowed = (root.getAttribute("data-embed") || "").split(" ").map(function (o) {
    return o === "'self'" ? location.origin : o;
  }).filter(function (o) { return /^https?:\/\/[^/]+$/.test(o); });
  var ancestors = location.ancestorOrigins, targets;
  if (window.parent === window || !allowed.length || !window.ResizeObserver) return;
  // Where the browser names the parent's origin, post only there; elsewhere the browser itself
  // delivers a message only to a parent whose origin matches the target.
  targets = ancestors && ancestors.length ? allowed.filter(function (o) { return o === ancestors[0]; }) : allowed;

  function tell() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    targets.forEach(function (o) { window.parent.postMessage({ type: "gallery:height", height: height }, o); });
  }

  new ResizeObserver(tell).observe(root);
  window.addEventListener("message", function (e) {
    if (e.source === window.parent && targets.indexOf(e.origin) >= 0 && e.data && e.data.type === "gallery:ping") tell();
  });
})();
