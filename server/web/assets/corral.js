// corral-server's page script. The pages are complete without it: it only
// keeps them current (server-sent events, then fetching the same page and
// replacing <main>), filters the fleet table, and shows times in the
// reader's time zone.
(function () {
  "use strict";

  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (!isNaN(d)) {
        t.title = t.textContent;
        t.textContent = t.textContent.length > 10 ? d.toLocaleString() : d.toLocaleTimeString();
      }
    });
  }

  function applyFilter() {
    var box = document.getElementById("filter");
    if (!box) return;
    var needle = box.value.trim().toLowerCase();
    document.querySelectorAll("#fleet tbody tr").forEach(function (row) {
      var name = (row.getAttribute("data-service") || "").toLowerCase();
      row.hidden = needle !== "" && name.indexOf(needle) < 0;
    });
  }

  var refreshing = false, again = false;
  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var main = document.querySelector("main");
        if (fresh && main) {
          main.replaceWith(fresh);
          localTimes(fresh);
          applyFilter();
          stamp("updated " + new Date().toLocaleTimeString());
        }
      })
      .catch(function () { stamp("update failed; retrying"); })
      .then(function () {
        refreshing = false;
        if (again) { again = false; setTimeout(refresh, 200); }
      });
  }

  function stamp(text) {
    var live = document.getElementById("live");
    if (live) live.textContent = text;
  }

  function follow() {
    var source = document.body.getAttribute("data-events");
    if (!source || !window.EventSource) { setInterval(refresh, 10000); return; }
    var events = new EventSource(source);
    var timer = null;
    events.addEventListener("change", function () {
      // Several events in one evaluation: one refresh.
      if (timer) return;
      timer = setTimeout(function () { timer = null; refresh(); }, 150);
    });
    // The server ends a stream that fell behind with "reload".
    events.addEventListener("reload", refresh);
    var lost = false;
    events.onopen = function () {
      stamp("live");
      // Events may have been missed while the stream was down.
      if (lost) { lost = false; refresh(); }
    };
    events.onerror = function () { lost = true; stamp("reconnecting"); };
    // Ages and request rates move without events.
    setInterval(refresh, 30000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    var box = document.getElementById("filter");
    if (box) { box.addEventListener("input", applyFilter); applyFilter(); }
    follow();
  });
})();
