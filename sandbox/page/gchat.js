// The sandbox page's Google Chat view: spaces, threads, cardsV2, driven by the control API.
"use strict";

(() => {
  const API = "/sandbox/api/";
  const POLL_MS = 700;
  const ALLOWED_TAGS = new Set(["B", "I", "U", "S", "STRONG", "EM", "BR", "A", "FONT", "CODE",
    "PRE", "UL", "OL", "LI", "TIME"]);
  const chat = { config: null, user: "users/alice", space: "spaces/AAAAsandbox", rendered: "" };

  async function call(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, options);
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(data && data.error ? data.error : `HTTP ${response.status}`);
    return data;
  }

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function safeUrl(url) {
    return /^(https?:|mailto:|\/)/i.test(url || "") ? url : "#";
  }

  // Card text is a small HTML subset: keep those tags (links made safe), flatten the rest.
  function cardHtml(html) {
    const template = document.createElement("template");
    template.innerHTML = String(html || "");
    const clean = (parent) => {
      for (const child of [...parent.childNodes]) {
        if (child.nodeType !== Node.ELEMENT_NODE) continue;
        clean(child);
        if (!ALLOWED_TAGS.has(child.tagName)) {
          child.replaceWith(...child.childNodes);
          continue;
        }
        for (const attr of [...child.attributes]) {
          if (!(attr.name === "href" || (attr.name === "color" && child.tagName === "FONT"))) {
            child.removeAttribute(attr.name);
          }
        }
        if (child.tagName === "A") {
          child.setAttribute("href", safeUrl(child.getAttribute("href")));
          child.setAttribute("target", "_blank");
          child.setAttribute("rel", "noopener");
        }
      }
    };
    clean(template.content);
    const span = node("span");
    span.append(template.content);
    return span;
  }

  // Plain message text: Chat's *bold*, _italic_ and <url|label> links.
  // Chat renders <users/{id}> as a mention of that person.
  function mentionName(id) {
    const users = (chat.config && chat.config.users) || [];
    const user = users.find((u) => u.name === `users/${id}`);
    return user ? user.display_name : id;
  }

  function plainText(text) {
    const escaped = String(text || "")
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    const html = escaped
      .replace(/&lt;(https?:\/\/[^|&\s]+)\|([^&]+?)&gt;/g, (_, url, label) =>
        `<a href="${url}">${label}</a>`)
      .replace(/&lt;(https?:\/\/[^|&\s]+)&gt;/g, (_, url) => `<a href="${url}">${url}</a>`)
      .replace(/&lt;users\/([\w.-]+)&gt;/g, (_, id) => `<b>@${mentionName(id)}</b>`)
      .replace(/\*([^*\n]+)\*/g, "<b>$1</b>")
      .replace(/(^|\s)_([^_\n]+)_/g, "$1<i>$2</i>")
      .replace(/\n/g, "<br>");
    return cardHtml(html);
  }

  function buttonNode(button, message, status) {
    const onClick = button.onClick || {};
    const filled = button.type === "FILLED" || button.type === "FILLED_TONAL";
    if (onClick.openLink) {
      const link = node("a", "gchat-button" + (filled ? " filled" : ""), button.text || "Open");
      link.href = safeUrl(onClick.openLink.url);
      link.target = "_blank";
      link.rel = "noopener";
      return link;
    }
    const element = node("button", "gchat-button" + (filled ? " filled" : ""), button.text || "");
    element.type = "button";
    element.disabled = button.disabled === true || !onClick.action;
    element.addEventListener("click", async () => {
      element.disabled = true;
      try {
        const params = (onClick.action.parameters || []);
        const named = params.find((p) => p.key === "actionName" || p.key === "action");
        const result = await call("POST", "chat/actions", {
          space: message.space.name,
          message: message.name,
          action: named ? named.value : (button.text || onClick.action.function),
          user: chat.user,
        });
        status(result.status === 200 ? "" : `The bot answered HTTP ${result.status}`);
        await poll();
      } catch (error) {
        status(error.message);
      } finally {
        element.disabled = false;
      }
    });
    return element;
  }

  function widgetNode(widget, message, status) {
    if (widget.textParagraph) {
      const paragraph = node("div", "gchat-paragraph");
      paragraph.append(cardHtml(widget.textParagraph.text));
      return paragraph;
    }
    if (widget.decoratedText) {
      const d = widget.decoratedText;
      const box = node("div", "gchat-decorated");
      if (d.topLabel) box.append(node("div", "gchat-top-label", d.topLabel));
      box.append(cardHtml(d.text));
      if (d.bottomLabel) box.append(node("div", "gchat-bottom-label", d.bottomLabel));
      if (d.button) box.append(buttonNode(d.button, message, status));
      return box;
    }
    if (widget.buttonList) {
      const row = node("div", "gchat-buttons");
      for (const button of widget.buttonList.buttons || []) {
        row.append(buttonNode(button, message, status));
      }
      return row;
    }
    if (widget.divider !== undefined) return node("hr");
    return node("div", "muted", `[${Object.keys(widget).join(", ")}]`);
  }

  function cardNode(card, message, status) {
    const box = node("div", "gchat-card");
    if (card.header) {
      const header = node("div", "gchat-card-header");
      header.append(node("div", "gchat-card-title", card.header.title || ""));
      if (card.header.subtitle) {
        header.append(node("div", "gchat-card-subtitle", card.header.subtitle));
      }
      box.append(header);
    }
    for (const section of card.sections || []) {
      const body = node("div", "gchat-section-body");
      if (section.header) body.append(node("div", "gchat-section-header", section.header));
      for (const widget of section.widgets || []) body.append(widgetNode(widget, message, status));
      box.append(body);
    }
    return box;
  }

  function messageNode(message) {
    const item = node("div", "gchat-message");
    item.dataset.name = message.name;
    const bot = message.sender.type === "BOT";
    item.append(node("span", "gchat-sender", message.sender.displayName || message.sender.name));
    if (bot) item.append(node("span", "gchat-bot-tag", "App"));
    if (message.privateMessageViewer) item.append(node("span", "muted", " Only visible to you"));
    if (message.text) {
      const text = node("div", "gchat-text");
      text.append(plainText(message.text));
      item.append(text);
    }
    const status = (text) => { document.getElementById("gchat-status").textContent = text; };
    for (const entry of message.cardsV2 || []) item.append(cardNode(entry.card, message, status));
    return item;
  }

  function render(messages) {
    const log = document.getElementById("gchat-messages");
    const threads = new Map();
    for (const message of messages) {
      const viewer = message.privateMessageViewer;
      if (viewer && viewer.name !== chat.user) continue;
      const key = message.thread.name;
      if (!threads.has(key)) threads.set(key, []);
      threads.get(key).push(message);
    }
    log.replaceChildren();
    for (const [name, [root, ...replies]] of threads) {
      const box = node("div", "gchat-thread");
      box.dataset.thread = name;
      box.append(messageNode(root));
      if (replies.length) {
        const list = node("div", "gchat-replies");
        for (const reply of replies) list.append(messageNode(reply));
        box.append(list);
      }
      log.append(box);
    }
    log.scrollTop = log.scrollHeight;
  }

  async function poll() {
    if (document.getElementById("gchat-view").hidden) return;
    try {
      const data = await call("GET", `chat/messages?space=${encodeURIComponent(chat.space)}&all=1`);
      const signature = JSON.stringify([chat.user, data.messages]);
      if (signature !== chat.rendered) {
        chat.rendered = signature;
        render(data.messages);
      }
    } catch (error) {
      document.getElementById("gchat-status").textContent = error.message;
    }
  }

  function renderSpaces() {
    const lists = { SPACE: document.getElementById("gchat-spaces"),
      DIRECT_MESSAGE: document.getElementById("gchat-dms") };
    Object.values(lists).forEach((list) => list.replaceChildren());
    for (const space of chat.config.spaces) {
      if (space.spaceType === "DIRECT_MESSAGE" && !space.members.includes(chat.user)) continue;
      const label = space.displayName || "meetbot";
      const button = node("button", "", space.spaceType === "SPACE" ? `# ${label}` : label);
      button.type = "button";
      button.setAttribute("aria-current", String(space.name === chat.space));
      button.addEventListener("click", () => {
        chat.space = space.name;
        chat.rendered = "";
        document.getElementById("gchat-space-title").textContent = label;
        renderSpaces();
        poll();
      });
      const item = node("li");
      item.append(button);
      lists[space.spaceType].append(item);
    }
  }

  async function loadConfig() {
    chat.config = await call("GET", "chat/config");
    const picker = document.getElementById("gchat-user");
    picker.replaceChildren(...chat.config.users.map((user) => {
      const option = node("option", "", user.display_name + (user.is_admin ? " (admin)" : ""));
      option.value = user.name;
      option.selected = user.name === chat.user;
      return option;
    }));
    document.getElementById("gchat-mode").textContent =
      `Audience: ${chat.config.audience_mode}, events: ${chat.config.format}`;
    renderSpaces();
  }

  async function submit(event) {
    event.preventDefault();
    const input = document.getElementById("gchat-input");
    const text = input.value.trim();
    if (!text) return;
    const status = document.getElementById("gchat-status");
    status.textContent = "Sending…";
    try {
      const result = await call("POST", "chat/commands", { text, user: chat.user, space: chat.space });
      input.value = "";
      status.textContent = result.status === 200 ? (result.error || "")
        : `The bot answered HTTP ${result.status}`;
      await poll();
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function show(view) {
    const gchat = view === "gchat";
    document.getElementById("slack-view").hidden = gchat;
    document.getElementById("gchat-view").hidden = !gchat;
    document.getElementById("tab-slack").setAttribute("aria-pressed", String(!gchat));
    document.getElementById("tab-gchat").setAttribute("aria-pressed", String(gchat));
    if (gchat) loadConfig().then(poll).catch((error) => {
      document.getElementById("gchat-status").textContent = error.message;
    });
  }

  document.getElementById("tab-slack").addEventListener("click", () => show("slack"));
  document.getElementById("tab-gchat").addEventListener("click", () => show("gchat"));
  document.getElementById("gchat-composer").addEventListener("submit", submit);
  document.getElementById("gchat-user").addEventListener("change", (event) => {
    chat.user = event.target.value;
    chat.rendered = "";
    renderSpaces();
    poll();
  });
  if (location.hash === "#gchat") show("gchat");
  setInterval(poll, POLL_MS);
})();
