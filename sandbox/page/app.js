// The sandbox page: a Slack-like channel view driven by the sandbox control API.
"use strict";

const API = "/sandbox/api/";
const POLL_MS = 700;
const SPACES_MS = 2000;
const BOT_USER = "U0MEETBOT";

const state = {
  config: null,
  channel: "C0GENERAL",
  user: "U0ALICE",
  rendered: "",
  spacesRendered: "",
  highlight: null,
};

// ---------------------------------------------------------------- control API

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const reason = data && data.error ? data.error : `HTTP ${response.status}`;
    throw new Error(reason);
  }
  return data;
}

// ---------------------------------------------------------------- mrkdwn

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function unescapeSlack(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function safeUrl(url) {
  return /^(https?:|mailto:|\/)/i.test(url) ? url : "#";
}

function userName(id) {
  if (id === BOT_USER) return "meetbot";
  const users = (state.config && state.config.users) || [];
  const found = users.find((u) => u.id === id);
  return found ? found.real_name : id;
}

function channelName(id) {
  const channels = (state.config && state.config.channels) || [];
  const found = channels.find((c) => c.id === id);
  return found ? found.name : id;
}

function special(inner) {
  const [target, label] = inner.split("|", 2);
  if (target.startsWith("@")) {
    return `<span class="mention">@${escapeHtml(label || userName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("#")) {
    return `<span class="mention">#${escapeHtml(label || channelName(target.slice(1)))}</span>`;
  }
  if (target.startsWith("!")) {
    return `<span class="mention">@${escapeHtml(label || target.slice(1))}</span>`;
  }
  const url = unescapeSlack(target);
  const text = label ? unescapeSlack(label) : url;
  return `<a href="${escapeHtml(safeUrl(url))}" target="_blank" rel="noopener noreferrer">${escapeHtml(text)}</a>`;
}

// The emoji codes meetbot uses, as Slack shows them.
const EMOJI = {
  red_circle: "🔴", hourglass: "⌛", white_check_mark: "✅", x: "❌",
  movie_camera: "🎥", warning: "⚠️", memo: "📝", mute: "🔇", page_facing_up: "📄",
  speech_balloon: "💬", wastebasket: "🗑️",
};

function mrkdwn(text) {
  const saved = [];
  const keep = (html) => `\u0000${saved.push(html) - 1}\u0000`;
  let out = String(text || "");
  out = out.replace(/```([\s\S]*?)```/g, (_, code) => keep(`<pre>${escapeHtml(unescapeSlack(code))}</pre>`));
  out = out.replace(/`([^`\n]+)`/g, (_, code) => keep(`<code>${escapeHtml(unescapeSlack(code))}</code>`));
  out = out.replace(/<([^<>\n]+)>/g, (_, inner) => keep(special(inner)));
  out = escapeHtml(unescapeSlack(out));
  out = out.replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, "$1<strong>$2</strong>");
  out = out.replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, "$1<em>$2</em>");
  out = out.replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s).,!?:;])/g, "$1<del>$2</del>");
  out = out.replace(/:([a-z_]+):/g, (code, name) => EMOJI[name] || code);
  out = out.replace(/\n/g, "<br>");
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => saved[Number(i)]);
}

function textObject(obj) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text) : escapeHtml(obj.text || "");
}

// ---------------------------------------------------------------- Block Kit

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function buttonNode(element, message) {
  const button = el("button", "btn block-button", escapeHtml((element.text && element.text.text) || "Button"));
  button.type = "button";
  if (element.style === "primary" || element.style === "danger") button.classList.add(element.style);
  button.dataset.actionId = element.action_id || "";
  button.dataset.ts = message.ts;
  if (element.url) {
    button.dataset.url = element.url;
    button.title = element.url;
  }
  button.addEventListener("click", () => clickButton(element, message, button));
  return button;
}

function elementNode(element, message) {
  if (element.type === "button") return buttonNode(element, message);
  if (element.type === "image") {
    const img = el("img", "block-thumb");
    img.src = element.image_url || "";
    img.alt = element.alt_text || "";
    return img;
  }
  return el("span", "unsupported", escapeHtml(`[${element.type}]`));
}

function richText(elements) {
  return (elements || [])
    .map((part) => {
      if (part.type === "rich_text_section") return `<p>${richInline(part.elements)}</p>`;
      if (part.type === "rich_text_preformatted") return `<pre>${richInline(part.elements)}</pre>`;
      if (part.type === "rich_text_quote") return `<blockquote>${richInline(part.elements)}</blockquote>`;
      if (part.type === "rich_text_list") {
        const tag = part.style === "ordered" ? "ol" : "ul";
        const items = (part.elements || []).map((item) => `<li>${richInline(item.elements)}</li>`);
        return `<${tag}>${items.join("")}</${tag}>`;
      }
      return "";
    })
    .join("");
}

function richInline(elements) {
  return (elements || [])
    .map((item) => {
      if (item.type === "link") return special(`${item.url}|${item.text || item.url}`);
      if (item.type === "user") return special(`@${item.user_id}`);
      if (item.type === "channel") return special(`#${item.channel_id}`);
      if (item.type === "emoji") return escapeHtml(`:${item.name}:`);
      let html = escapeHtml(item.text || "").replace(/\n/g, "<br>");
      const style = item.style || {};
      if (style.code) html = `<code>${html}</code>`;
      if (style.bold) html = `<strong>${html}</strong>`;
      if (style.italic) html = `<em>${html}</em>`;
      if (style.strike) html = `<del>${html}</del>`;
      return html;
    })
    .join("");
}

function blockNode(block, message) {
  switch (block.type) {
    case "section": {
      const node = el("div", "block section");
      const body = el("div", "section-body");
      if (block.text) body.appendChild(el("div", "section-text", textObject(block.text)));
      if (block.fields) {
        const grid = el("div", "fields");
        block.fields.forEach((field) => grid.appendChild(el("div", "field", textObject(field))));
        body.appendChild(grid);
      }
      node.appendChild(body);
      if (block.accessory) node.appendChild(elementNode(block.accessory, message));
      return node;
    }
    case "actions": {
      const node = el("div", "block actions");
      (block.elements || []).forEach((element) => node.appendChild(elementNode(element, message)));
      return node;
    }
    case "context": {
      const node = el("div", "block context");
      (block.elements || []).forEach((element) => {
        node.appendChild(element.type === "image" ? elementNode(element, message) : el("span", "", textObject(element)));
      });
      return node;
    }
    case "header":
      return el("div", "block header", textObject(block.text));
    case "divider":
      return el("hr", "block divider");
    case "image": {
      const node = el("figure", "block image");
      const img = el("img");
      img.src = block.image_url || "";
      img.alt = block.alt_text || "";
      node.appendChild(img);
      if (block.title) node.appendChild(el("figcaption", "", textObject(block.title)));
      return node;
    }
    case "rich_text":
      return el("div", "block rich-text", richText(block.elements));
    default:
      return el("div", "block unsupported", escapeHtml(`[unsupported block: ${block.type}]`));
  }
}

// ---------------------------------------------------------------- messages

function timeOf(ts) {
  const date = new Date(parseFloat(ts) * 1000);
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function messageNode(message) {
  const node = el("article", "message");
  node.dataset.ts = message.ts;
  if (message.ephemeral_to) node.classList.add("ephemeral");
  const bot = message.user === BOT_USER;
  const avatar = el("div", `avatar${bot ? " bot" : ""}`, escapeHtml(userName(message.user).slice(0, 1).toUpperCase()));
  avatar.setAttribute("aria-hidden", "true");
  node.appendChild(avatar);
  const body = el("div", "message-body");
  const meta = el("div", "meta");
  meta.appendChild(el("span", "author", escapeHtml(userName(message.user))));
  if (bot) meta.appendChild(el("span", "tag", "APP"));
  meta.appendChild(el("time", "time", escapeHtml(timeOf(message.ts))));
  if (message.updated) meta.appendChild(el("span", "muted", "(edited)"));
  if (message.ephemeral_to) meta.appendChild(el("span", "tag only-you", "Only visible to you"));
  body.appendChild(meta);
  if (message.blocks && message.blocks.length) {
    message.blocks.forEach((block) => body.appendChild(blockNode(block, message)));
  } else if (message.text) {
    body.appendChild(el("div", "text", mrkdwn(message.text)));
  }
  (message.files || []).forEach((file) => {
    const media = mediaKind(file.mimetype);
    if (media) body.appendChild(playerFor(file.url, media));
    const link = el("a", "file", escapeHtml(file.title || file.name));
    link.href = file.url;
    link.target = "_blank";
    link.rel = "noopener";
    body.appendChild(link);
  });
  node.appendChild(body);
  return node;
}

// Slack plays uploaded audio and video inline; so does the sandbox. A player is kept across
// re-renders (moved, not rebuilt), so a new message does not stop what is playing.
const players = new Map();

function playerFor(url, media) {
  let player = players.get(url);
  if (!player) {
    player = document.createElement(media);
    player.className = `file-player ${media}`;
    player.controls = true;
    player.preload = "metadata";
    player.src = url;
    players.set(url, player);
  }
  return player;
}

function mediaKind(mimetype) {
  if ((mimetype || "").startsWith("video/")) return "video";
  if ((mimetype || "").startsWith("audio/")) return "audio";
  return null;
}

function renderMessages(messages) {
  const list = document.getElementById("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren();
  const byTs = new Map();
  messages.forEach((message) => {
    const parent = message.thread_ts && message.thread_ts !== message.ts ? byTs.get(message.thread_ts) : null;
    if (parent) {
      let thread = parent.querySelector(":scope > .thread");
      if (!thread) {
        thread = el("div", "thread");
        thread.setAttribute("aria-label", "Thread replies");
        parent.appendChild(thread);
      }
      thread.appendChild(messageNode(message));
      return;
    }
    const wrapper = el("div", "message-group");
    wrapper.appendChild(messageNode(message));
    byTs.set(message.ts, wrapper);
    list.appendChild(wrapper);
  });
  if (!messages.length) list.appendChild(el("p", "empty muted", "No messages yet. Try <code>/meet help</code>."));
  const target = state.highlight && list.querySelector(`.message[data-ts="${CSS.escape(state.highlight)}"]`);
  if (target) {
    target.classList.add("highlight");
    target.scrollIntoView({ block: "center" });
    state.highlight = null;
  } else if (atBottom) {
    list.scrollTop = list.scrollHeight;
  }
}

async function pollMessages() {
  try {
    const query = `channel=${encodeURIComponent(state.channel)}&all=1&viewer=${encodeURIComponent(state.user)}`;
    const data = await api("GET", `slack/messages?${query}`);
    const key = JSON.stringify(data.messages);
    if (key !== state.rendered) {
      state.rendered = key;
      renderMessages(data.messages);
    }
  } catch (error) {
    setStatus("composer-status", `Could not load messages: ${error.message}`);
  }
}

// ---------------------------------------------------------------- actions

function confirmWith(confirm) {
  if (!confirm) return Promise.resolve(true);
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = (confirm.title && confirm.title.text) || "Are you sure?";
  document.getElementById("confirm-text").innerHTML = textObject(confirm.text);
  document.getElementById("confirm-ok").textContent = (confirm.confirm && confirm.confirm.text) || "Yes";
  document.getElementById("confirm-deny").textContent = (confirm.deny && confirm.deny.text) || "Cancel";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

async function clickButton(element, message, button) {
  if (!(await confirmWith(element.confirm))) return;
  if (element.url) window.open(element.url, "_blank", "noopener");
  button.disabled = true;
  try {
    const result = await api("POST", "slack/actions", {
      channel: state.channel,
      message_ts: message.ts,
      action_id: element.action_id,
      user: state.user,
    });
    const ok = result.status === 200;
    button.classList.toggle("warning", !ok);
    setStatus("composer-status", ok ? "" : `⚠️ The app answered ${result.status}`);
  } catch (error) {
    setStatus("composer-status", `⚠️ ${error.message}`);
  } finally {
    button.disabled = false;
  }
  pollMessages();
}

async function send(text) {
  const where = { user: state.user, channel: state.channel };
  const command = text.match(/^\/meet(?:\s+([\s\S]*))?$/);
  if (command) return api("POST", "slack/commands", { ...where, text: (command[1] || "").trim() });
  if (/^\/invite\s+@?meetbot\b/.test(text)) {
    const invited = await api("POST", "slack/invite", { channel: state.channel });
    await refreshMembership();
    return invited;
  }
  const mention = text.match(/^@meetbot\b\s*([\s\S]*)$/);
  if (mention) return api("POST", "slack/mentions", { ...where, text: mention[1] });
  if (text.startsWith("/")) throw new Error(`${text.split(/\s/)[0]} is not a valid command`);
  return api("POST", "slack/messages", { ...where, text });
}

function setStatus(id, text) {
  document.getElementById(id).textContent = text;
}

async function submitComposer(event) {
  event.preventDefault();
  const input = document.getElementById("composer-input");
  const text = input.value.trim();
  if (!text) return;
  input.value = "";
  setStatus("composer-status", "");
  try {
    const result = await send(text);
    if (result && typeof result.status === "number" && result.status !== 200) {
      setStatus("composer-status", `⚠️ /meet failed with the error "${result.status}"`);
    }
  } catch (error) {
    setStatus("composer-status", `⚠️ ${error.message}`);
  }
  pollMessages();
}

// ---------------------------------------------------------------- sidebar

function channelButton(id, label) {
  const item = el("li");
  const button = el("button", "channel-button", escapeHtml(label));
  button.type = "button";
  button.dataset.channel = id;
  if (id === state.channel) button.setAttribute("aria-current", "true");
  button.addEventListener("click", () => selectChannel(id, label));
  item.appendChild(button);
  return item;
}

function renderChannels() {
  const channels = document.getElementById("channel-list");
  channels.replaceChildren(...state.config.channels.map((c) => channelButton(c.id, `# ${c.name}`)));
  document.getElementById("dm-list").replaceChildren(channelButton(state.user, "meetbot"));
}

async function refreshMembership() {
  state.config = await api("GET", "config");
  const channel = state.config.channels.find((c) => c.id === state.channel);
  const note = channel && !channel.bot_is_member ? "meetbot is not in this channel: type /invite @meetbot" : "";
  setStatus("bot-membership", note);
}

async function selectChannel(id, label) {
  state.channel = id;
  state.rendered = "";
  const title = id.startsWith("C") ? `#${channelName(id)}` : label;
  document.getElementById("channel-title").textContent = title;
  document.getElementById("composer-label").textContent = `Message ${title}`;
  renderChannels();
  await refreshMembership();
  await pollMessages();
}

function selectUser(id) {
  const wasDm = state.channel === state.user;
  state.user = id;
  state.rendered = "";
  if (wasDm) state.channel = id;
  renderChannels();
  pollMessages();
}

async function signIn() {
  setStatus("google-status", "Signing in…");
  try {
    const result = await api("POST", "google/consent", { user: state.user });
    const ok = result.status >= 200 && result.status < 400;
    setStatus("google-status", ok ? `Connected as ${result.email}` : `The bot answered ${result.status}`);
  } catch (error) {
    setStatus("google-status", `⚠️ ${error.message}`);
  }
  pollMessages();
}

function spaceItem(space) {
  const item = el("li", "space");
  const active = Boolean(space.activeConference);
  item.appendChild(el("span", "space-code", escapeHtml(space.meetingCode || space.name)));
  item.appendChild(el("span", `badge${active ? " live" : ""}`, active ? "in call" : "idle"));
  const start = el("button", "btn primary small", "Start call");
  start.type = "button";
  start.disabled = active;
  start.addEventListener("click", () => meetCall("meet/conferences", {
    space: space.name,
    // built-in recorded voices: a short standup, taking turns, once talking over each other;
    // they start a few seconds in, so there is time to press Record. With "Cameras on" each
    // also shows a moving test picture with their name (the Media API's video streams).
    participants: ["Alice", "Bob", "Carol"].map((name) => ({
      name, audio: `sample:${name.toLowerCase()}`, speak_at: SPEAK_AFTER, video: camerasOn(),
    })),
  }, `Call started: the voices begin in ${SPEAK_AFTER} s. Press Record on the card.`));
  const end = el("button", "btn danger small", "End call");
  end.type = "button";
  end.disabled = !active;
  end.addEventListener("click", () => meetCall("meet/conferences/end", { space: space.name }));
  item.append(start, end);
  return item;
}

const SPEAK_AFTER = 6;

function camerasOn() {
  const box = document.getElementById("meet-cameras");
  return box ? box.checked : true;
}

async function meetCall(path, body, done = "") {
  try {
    await api("POST", path, body);
    setStatus("meet-status", done);
  } catch (error) {
    setStatus("meet-status", `⚠️ ${error.message}`);
  }
  state.spacesRendered = "";
  pollSpaces();
}

async function pollSpaces() {
  try {
    const data = await api("GET", "meet/spaces");
    const key = JSON.stringify(data.spaces);
    if (key === state.spacesRendered) return;
    state.spacesRendered = key;
    const list = document.getElementById("space-list");
    list.replaceChildren(...data.spaces.map(spaceItem));
    if (!data.spaces.length) list.appendChild(el("li", "muted", "No spaces yet"));
  } catch (error) {
    setStatus("meet-status", `Could not list spaces: ${error.message}`);
  }
}

// ---------------------------------------------------------------- start

async function start() {
  state.config = await api("GET", "config");
  const picker = document.getElementById("user-picker");
  state.config.users.forEach((user) => {
    const option = el("option", "", escapeHtml(user.real_name + (user.is_admin ? " (admin)" : "")));
    option.value = user.id;
    picker.appendChild(option);
  });
  picker.value = state.user;
  picker.addEventListener("change", () => selectUser(picker.value));
  document.getElementById("composer").addEventListener("submit", submitComposer);
  document.getElementById("google-signin").addEventListener("click", signIn);
  const params = new URLSearchParams(window.location.search);
  state.highlight = params.get("ts");
  await selectChannel(params.get("channel") || state.channel, "meetbot");
  await pollSpaces();
  setInterval(pollMessages, POLL_MS);
  setInterval(pollSpaces, SPACES_MS);
  document.body.dataset.ready = "true";
}

start().catch((error) => setStatus("composer-status", `The sandbox is not reachable: ${error.message}`));
