// The console's live parts: server-sent events refresh the queue and append new messages; the KB search
// puts an answer into the reply box. Everything a person wrote arrives escaped from the server, or is set
// with textContent here.
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var body = document.body;
  var page = body.getAttribute("data-page");

  function get(path) {
    // Accept */*: an ended session answers 401 here instead of redirecting to the login page.
    return fetch(path, { headers: { Accept: "*/*", "X-CSRF-Token": csrf }, credentials: "same-origin" });
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // --- Queue: swap in fresh rows when anything changes --------------------------------------------------
  var refreshQueue = debounce(function () {
    get("/console/queue/rows" + window.location.search).then(function (response) {
      if (!response.ok) return;
      var total = response.headers.get("X-Queue-Total");
      return response.text().then(function (html) {
        var rows = document.getElementById("queue-rows");
        if (rows) rows.innerHTML = html;
        var count = document.getElementById("queue-total");
        if (count && total !== null) count.textContent = total;
      });
    });
  }, 250);

  // --- Conversation: append new messages, flag changes of holder or status ------------------------------
  var conversationId = body.getAttribute("data-conversation");
  var loading = false;
  var again = false;

  function appendNewMessages() {
    var list = document.getElementById("messages");
    if (!list || !conversationId) return;
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    var after = list.getAttribute("data-last-id") || "0";
    var path = "/console/conversations/" + encodeURIComponent(conversationId) + "/messages?after=" + after;
    get(path)
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html && html.trim()) {
          list.insertAdjacentHTML("beforeend", html);
          var items = list.querySelectorAll("li[data-id]");
          list.setAttribute("data-last-id", items[items.length - 1].getAttribute("data-id"));
          items[items.length - 1].scrollIntoView({ block: "nearest" });
        }
      })
      .finally(function () {
        loading = false;
        if (again) {
          again = false;
          appendNewMessages();
        }
      });
  }

  function onEvent(kind, data) {
    if (page === "queue") {
      refreshQueue();
    } else if (page === "conversation" && data.conversation_id === conversationId) {
      if (kind === "message") {
        appendNewMessages();
      } else {
        var banner = document.getElementById("changed-banner");
        if (banner) banner.hidden = false;
      }
    }
  }

  if ((page === "queue" || page === "conversation") && window.EventSource) {
    var source = new EventSource("/console/events");
    var opened = false;
    source.addEventListener("open", function () {
      body.setAttribute("data-live", "on");
      // The server ends each stream after a while and the browser reconnects: catch up on what happened
      // in between.
      if (page === "conversation") appendNewMessages();
      if (page === "queue" && opened) refreshQueue();
      opened = true;
    });
    source.addEventListener("error", function () {
      body.setAttribute("data-live", "off");
    });
    ["message", "escalation", "assignment"].forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        try {
          onEvent(kind, JSON.parse(event.data));
        } catch (err) {
          console.error("bad console event", err);
        }
      });
    });
  }

  // --- Knowledge-base search: insert an answer (in the person's language) into the reply box -----------
  var search = document.getElementById("kb-search");
  if (search) {
    search.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = document.getElementById("kb-query").value;
      var results = document.getElementById("kb-results");
      var language = body.getAttribute("data-language") || "";
      results.textContent = "Searching…";
      get("/console/kb/search?q=" + encodeURIComponent(query) + "&language=" + encodeURIComponent(language))
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (answer) {
          results.textContent = "";
          if (!answer.ok) {
            results.textContent = answer.data.detail || "The search failed.";
            return;
          }
          if (!answer.data.hits.length) {
            results.textContent = "Nothing found.";
            return;
          }
          answer.data.hits.forEach(function (hit) {
            var item = document.createElement("li");
            item.className = "kb-hit";
            item.setAttribute("data-entry", hit.entry_id);
            var title = document.createElement("b");
            title.textContent = hit.title;
            var info = document.createElement("div");
            info.className = "muted";
            info.textContent =
              hit.topic + " · score " + hit.score + (hit.fallback_language ? " · English only" : "");
            var text = document.createElement("div");
            text.className = "answer";
            text.setAttribute("dir", "auto");
            text.setAttribute("lang", hit.language);
            text.textContent = hit.answer;
            var insert = document.createElement("button");
            insert.type = "button";
            insert.className = "insert";
            insert.textContent = "Insert";
            insert.addEventListener("click", function () {
              var box = document.getElementById("reply-text");
              box.value = box.value.trim() ? box.value.replace(/\s+$/, "") + "\n\n" + hit.reply_text : hit.reply_text;
              box.focus();
            });
            item.append(title, info, text, insert);
            results.appendChild(item);
          });
        })
        .catch(function () {
          results.textContent = "The search failed.";
        });
    });
  }
})();
