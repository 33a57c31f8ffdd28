"use strict";
// The web chat: posts to /api/chat and shows replies; right-to-left for Arabic and Persian.
(function () {
  const RTL = new Set(["ar", "fa"]);
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const picker = document.getElementById("language");
  const key = "neuvo-sender";
  let sender = localStorage.getItem(key);
  if (!sender) {
    sender = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
    localStorage.setItem(key, sender);
  }

  // Text is inserted as text nodes only; URLs become links without ever interpreting HTML.
  function appendLinked(parent, text) {
    const url = /https?:\/\/[^\s<>"')]+/g;
    let last = 0;
    for (const m of text.matchAll(url)) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      const a = document.createElement("a");
      a.href = m[0]; a.textContent = m[0]; a.target = "_blank"; a.rel = "noopener noreferrer";
      parent.appendChild(a);
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function show(who, text, language, buttons) {
    const li = document.createElement("li");
    li.className = "msg " + who;
    if (language) { li.lang = language; li.dir = RTL.has(language) ? "rtl" : "ltr"; } else { li.dir = "auto"; }
    appendLinked(li, text);
    if (buttons && buttons.length) {
      const box = document.createElement("div");
      box.className = "buttons";
      for (const b of buttons) {
        const btn = document.createElement("button");
        btn.type = "button"; btn.textContent = b.title;
        btn.addEventListener("click", () => send(b.payload, b.title));
        box.appendChild(btn);
      }
      li.appendChild(box);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  async function send(text, shown) {
    show("user", shown || text, null, null);
    const body = { sender_id: sender, text: text, channel: "web" };
    if (picker.value) body.language = picker.value;
    try {
      const res = await fetch("/api/chat", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const data = await res.json();
      if (!res.ok) { show("bot error", "Error: " + JSON.stringify(data.detail || data), "en", null); return; }
      document.documentElement.lang = data.language;
      for (const r of data.replies) show("bot", r.text, data.language, r.buttons);
    } catch (e) {
      show("bot error", "The service cannot be reached. Please try again later.", "en", null);
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    send(text);
  });
})();
