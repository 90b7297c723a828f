// repairbot console: live queue, chat and 未送达 list over server-sent events, ticking SLA timers, canned
// replies and a reply box that sends without leaving the page. Everything works without it, only less conveniently
// (forms post and redirect back). No inline script anywhere: the Content-Security-Policy forbids it.
(function () {
  "use strict";
  var body = document.body;
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var offset = 0;  // server clock minus browser clock, so timers count from the server's "now"

  function syncClock(root) {
    var holder = (root || document).querySelector("[data-now]");
    if (holder && holder.dataset.now) offset = Number(holder.dataset.now) - Date.now();
  }

  function minutes(ms) { return Math.max(0, Math.floor(ms / 60000)); }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll(".timer[data-since]").forEach(function (el) {
      if (el.dataset.since) el.textContent = minutes(now - Number(el.dataset.since)) + " 分钟";
    });
    document.querySelectorAll(".timer[data-due]").forEach(function (el) {
      var left = Number(el.dataset.due) - now;
      el.classList.toggle("overdue", left < 0);
      el.textContent = left < 0 ? "已超时 " + minutes(-left) + " 分钟" : "剩 " + minutes(left) + " 分钟";
      var row = el.closest("tr");
      if (row && left < 0) row.classList.add("breached");
    });
  }

  function refresh(url, target, after) {
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" }).then(function (r) {
      if (r.status === 401 || r.redirected) { window.location.reload(); return null; }
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html === null || html === undefined) return;
      var box = document.createElement("div");
      box.innerHTML = html;  // our own server-rendered, autoescaped fragment
      target.replaceChildren.apply(target, Array.prototype.slice.call(box.childNodes));
      syncClock(target);
      tick();
      if (after) after();
    });
  }

  // The header's 未送达 count follows the fragment just fetched (queue or list) when it carries one.
  function syncUndelivered(root) {
    var holder = root.querySelector("[data-undelivered]");
    var badge = document.getElementById("nav-undelivered");
    if (!holder || !badge || holder.dataset.undelivered === undefined) return;
    badge.textContent = holder.dataset.undelivered;
    badge.hidden = holder.dataset.undelivered === "0";
  }

  function scrollTranscript() {
    var list = document.getElementById("transcript");
    if (list) list.scrollTop = list.scrollHeight;
  }

  function live() {
    var url = body.dataset.events;
    if (!url || !window.EventSource) return;
    var state = document.getElementById("live-state");
    var source = new EventSource(url);
    var opened = false;
    function queueChanged() {
      var rows = document.getElementById("queue") || document.getElementById("deliveries");
      if (rows && body.dataset.rows) refresh(body.dataset.rows, rows, function () { syncUndelivered(rows); });
    }
    function chatChanged() {
      var chat = document.getElementById("chat-live");
      if (chat && body.dataset.chat) refresh(body.dataset.chat, chat, scrollTranscript);
    }
    // The server ends each stream after half a minute and the browser reconnects: what changed in
    // between is fetched on reconnecting.
    source.addEventListener("open", function () {
      if (state) { state.textContent = "实时"; state.classList.remove("offline"); }
      if (opened) { queueChanged(); chatChanged(); }
      opened = true;
    });
    source.addEventListener("error", function () {
      if (state && source.readyState === EventSource.CLOSED) { state.textContent = "已断开，请刷新"; state.classList.add("offline"); }
    });
    source.addEventListener("queue", queueChanged);
    source.addEventListener("chat", chatChanged);
    window.addEventListener("beforeunload", function () { source.close(); });
  }

  function canned() {
    var text = document.getElementById("reply-text");
    document.querySelectorAll("[data-canned]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        if (!text) return;
        text.value = text.value ? text.value + "\n" + btn.dataset.canned : btn.dataset.canned;
        text.focus();
      });
    });
  }

  function replyBox() {
    var form = document.getElementById("reply-form");
    if (!form || !window.fetch) return;
    var text = document.getElementById("reply-text");
    var error = document.getElementById("reply-error");
    var button = document.getElementById("send-reply");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!text.value.trim()) return;
      button.disabled = true;
      error.hidden = true;
      fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRF-Token": csrf }
      }).then(function (r) {
        return r.json().then(function (data) { return { ok: r.ok, data: data }; });
      }).then(function (res) {
        if (res.ok) { text.value = ""; } else { error.textContent = res.data.error || "发送失败"; error.hidden = false; }
      }).catch(function () {
        error.textContent = "网络错误，回复没有发出，请重试"; error.hidden = false;
      }).then(function () { button.disabled = false; text.focus(); });
    });
    text.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
    });
  }

  // Delegated: buttons inside fragments fetched later (the live chat, the 未送达 list) ask too.
  function confirmations() {
    document.addEventListener("click", function (ev) {
      var btn = ev.target.closest ? ev.target.closest("[data-confirm]") : null;
      if (btn && !window.confirm(btn.dataset.confirm)) ev.preventDefault();
    });
  }

  syncClock();
  tick();
  setInterval(tick, 15000);
  live();
  canned();
  replyBox();
  confirmations();
  scrollTranscript();
})();
