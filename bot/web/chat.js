// Web chat: sends {"text"} to /api/chat and shows replies with their buttons. Pressing a button sends its
// value as the next message. The server issues the chat's identity as an HttpOnly cookie on the first
// message; a reload shows the chat's history (GET /api/chat/history), and what the bot or an operator
// sends later (a reminder, the satisfaction survey, an operator's reply) arrives by long-polling
// GET /api/chat/updates. No external assets, no framework.
(function () {
  "use strict";
  var STATUS = { collecting: "登记中", out_of_area: "暂不支持", escalated: "人工处理中", booked: "已预约",
    visited: "已上门", closed: "已完成", cancelled: "已取消" };
  var PRODUCT = { safe: "保险柜", lock: "智能锁" };
  var list = document.getElementById("messages");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var send = document.getElementById("send");
  var ticketBox = document.getElementById("ticket");
  var busy = false;
  var cursor = null;      // id of the newest message shown; updates are asked for after it
  var polling = false;
  var seen = {};          // message ids already on screen (an update may race a reply)

  function add(kind, text, id) {
    var li = document.createElement("li");
    li.className = "msg msg--" + kind;
    li.textContent = text;
    if (id) { li.dataset.id = id; seen[id] = true; }
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
    return li;
  }

  function addReply(reply, kind) {
    var li = add(kind || "bot", reply.text, reply.id);
    if (reply.buttons && reply.buttons.length) {
      var box = document.createElement("div");
      box.className = "choices";
      reply.buttons.forEach(function (b) {
        var btn = document.createElement("button");
        btn.type = "button";
        btn.textContent = b.label;
        btn.dataset.value = b.value;
        btn.addEventListener("click", function () {
          if (busy) return;
          box.querySelectorAll("button").forEach(function (x) { x.disabled = true; });
          say(b.value);
        });
        box.appendChild(btn);
      });
      li.appendChild(box);
    }
    list.scrollTop = list.scrollHeight;
  }

  function showTicket(t) {
    if (!t) { ticketBox.hidden = true; return; }
    var parts = ["<span class=\"status " + t.status + "\">" + (STATUS[t.status] || t.status) + "</span>"];
    if (t.brand || t.product) parts.push("<b>" + esc((t.brand || "") + (PRODUCT[t.product] || "")) + "</b>");
    if (t.phone_masked) parts.push("电话 " + esc(t.phone_masked));
    if (t.slot) {
      // Show the service's wall-clock time as sent ("2026-11-24T13:00:00+08:00"), not the browser's zone.
      var s = t.slot.start, e = t.slot.end;
      parts.push("上门 " + Number(s.slice(5, 7)) + "月" + Number(s.slice(8, 10)) + "日 " + s.slice(11, 16) + "-" +
        e.slice(11, 16) + " " + esc(t.slot.technician) + "师傅");
    }
    ticketBox.innerHTML = "工单 #" + t.id + " · " + parts.join(" · ");
    ticketBox.hidden = false;
  }
  function esc(s) { var d = document.createElement("div"); d.textContent = s; return d.innerHTML; }

  // A message that did not go through goes back into the input box: the customer edits or resends it
  // instead of typing it again.
  function giveBack(text) { if (!input.value) input.value = text; }

  function json(r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); }

  function say(text) {
    if (busy) return;
    busy = true; send.disabled = true;
    add("me", text);
    var typing = add("typing", "正在输入…");
    var body = JSON.stringify({ text: text,
      message_id: "p-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8) });
    fetch("/api/chat", { method: "POST", headers: { "Content-Type": "application/json" }, body: body,
      credentials: "same-origin" })
      .then(json)
      .then(function (res) {
        if (res.status === 401) { add("error", "对话已失效，请刷新页面重新开始。"); return; }
        if (!res.ok) { add("error", "发送失败：" + (res.data.error || "请稍后再试")); giveBack(text); return; }
        res.data.replies.forEach(function (r) { addReply(r); });
        showTicket(res.data.ticket);
        if (cursor === null) cursor = "0";
        poll();
      })
      .catch(function () { add("error", "网络有问题，消息没有发出去，请稍后再试。"); giveBack(text); })
      .then(function () { typing.remove(); busy = false; send.disabled = false; input.focus(); });
  }

  // Long-poll for what arrives without the customer typing; back off a little after errors.
  function poll() {
    if (polling || cursor === null) return;
    polling = true;
    fetch("/api/chat/updates?wait=25&after=" + encodeURIComponent(cursor), { credentials: "same-origin" })
      .then(json)
      .then(function (res) {
        polling = false;
        if (res.status === 401) { cursor = null; return; }
        if (!res.ok) { setTimeout(poll, 5000); return; }
        res.data.messages.forEach(function (m) {
          if (!seen[m.id]) addReply(m, m.from === "operator" ? "operator" : "bot");
        });
        cursor = res.data.cursor;
        poll();
      })
      .catch(function () { polling = false; setTimeout(poll, 5000); });
  }

  // A photo of the fault goes to POST /api/chat/photo as the file itself; the server checks it really is
  // an image (JPEG/PNG/WebP, 10 MB) and the bot answers like any message.
  var photo = document.getElementById("photo");
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    photo.value = "";
    if (!file || busy) return;
    if (file.size > 10 * 1024 * 1024) { add("error", "图片超过 10 MB，请压缩后再发。"); return; }
    busy = true; send.disabled = true;
    add("me", "[图片] " + file.name);
    var typing = add("typing", "正在上传…");
    var id = "f-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    fetch("/api/chat/photo?message_id=" + id, { method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": file.type || "application/octet-stream" } })
      .then(json)
      .then(function (res) {
        if (res.status === 401) { add("error", "对话已失效，请刷新页面重新开始。"); return; }
        if (!res.ok) { add("error", "图片没有发出去：" + (res.data.error || "请稍后再试")); return; }
        res.data.replies.forEach(function (r) { addReply(r); });
        showTicket(res.data.ticket);
        if (cursor === null) cursor = "0";
        poll();
      })
      .catch(function () { add("error", "网络有问题，图片没有发出去，请稍后再试。"); })
      .then(function () { typing.remove(); busy = false; send.disabled = false; });
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    say(text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); form.requestSubmit(); }
  });
  document.getElementById("restart").addEventListener("click", function () { say("重新开始"); });
  document.getElementById("erase").addEventListener("click", function () { say("删除我的信息"); });

  // A returning customer (the cookie names their chat) sees the chat so far; a new one the greeting.
  function greet() { if (list.dataset.greeting) addReply({ text: list.dataset.greeting, buttons: [] }); }
  fetch("/api/chat/history", { credentials: "same-origin" })
    .then(json)
    .then(function (res) {
      if (!res.ok || !res.data.messages.length) { greet(); if (res.ok) { cursor = res.data.cursor; poll(); } return; }
      res.data.messages.forEach(function (m) {
        if (m.from === "customer") add("me", m.text, m.id); else addReply(m, m.from === "operator" ? "operator" : "bot");
      });
      showTicket(res.data.ticket);
      cursor = res.data.cursor;
      poll();
    })
    .catch(greet);
  input.focus();
})();
