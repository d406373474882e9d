// Progressive enhancement of the order page: ask status.json every few seconds and reload as
// soon as the payment's state changes (without scripts, the page's meta refresh does it).
(function () {
  var box = document.getElementById("order-status");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-status-url");
  var status = box.getAttribute("data-status");
  function ask() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.status !== status) { window.location.reload(); } else { setTimeout(ask, 1000); }
      })
      .catch(function () { setTimeout(ask, 3000); });
  }
  setTimeout(ask, 1000);
})();
