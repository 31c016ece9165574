// The meeting page's behaviour: seek on click (transcript line or timeline), follow the player.
// Reads the JSON island #meeting-data ({duration, lines: [[start, end], ...]}); no network.
"use strict";

(() => {
  const data = JSON.parse(document.getElementById("meeting-data").textContent);
  const player = document.getElementById("player");
  const list = document.getElementById("lines");
  const lines = list ? Array.from(list.querySelectorAll(".line")) : [];
  const timeline = document.getElementById("timeline");
  const playhead = document.getElementById("playhead");
  const spans = data.lines;
  const longest = spans.reduce((most, [start, end]) => Math.max(most, end - start), 0);
  let current = [];

  for (const node of document.querySelectorAll("time[data-local]")) {
    const when = new Date(node.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) {
      node.textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      node.title = node.getAttribute("datetime");
    }
  }
  if (!player) return;
  document.body.classList.add("interactive");

  function seek(seconds) {
    player.currentTime = Math.max(0, Math.min(seconds, data.duration));
    follow();
    const playing = player.play();
    if (playing) playing.catch(() => {}); // autoplay refused or no audio device: stay paused
  }

  // The last line that started at or before t: binary search on the sorted starts.
  function lastStarted(t) {
    let low = 0;
    let high = spans.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (spans[mid][0] <= t) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  // Lines being spoken at t (crosstalk highlights several); in a pause, the last one.
  function linesAt(t) {
    const last = lastStarted(t);
    const found = [];
    for (let i = last; i >= 0 && spans[i][0] >= t - longest; i--) {
      if (t < spans[i][1]) found.push(i);
    }
    return found.length || last < 0 ? found : [last];
  }

  function follow() {
    const t = player.currentTime;
    if (playhead && data.duration > 0) {
      const x = String((Math.min(t, data.duration) / data.duration) * 1000);
      playhead.setAttribute("x1", x);
      playhead.setAttribute("x2", x);
    }
    const next = linesAt(t);
    if (next.length === current.length && next.every((i, k) => i === current[k])) return;
    for (const i of current) lines[i].classList.remove("current");
    for (const i of next) lines[i].classList.add("current");
    current = next;
    if (next.length && !player.paused) keepVisible(lines[next[next.length - 1]]);
  }

  // Scroll the transcript box (desktop layout) without moving the page itself.
  function keepVisible(line) {
    if (list.scrollHeight <= list.clientHeight + 1) return;
    const top = line.offsetTop - list.offsetTop;
    if (top < list.scrollTop || top + line.offsetHeight > list.scrollTop + list.clientHeight) {
      list.scrollTop = Math.max(0, top - list.clientHeight / 3);
    }
  }

  for (const line of lines) {
    const start = Number(line.dataset.start);
    line.addEventListener("click", () => seek(start));
    line.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        seek(start);
      }
    });
  }
  if (timeline) {
    timeline.addEventListener("click", (event) => {
      const box = timeline.getBoundingClientRect();
      if (box.width > 0) seek(((event.clientX - box.left) / box.width) * data.duration);
    });
  }
  for (const name of ["timeupdate", "seeked", "loadedmetadata", "play", "pause"]) {
    player.addEventListener(name, follow);
  }
  follow();
  document.body.dataset.ready = "true";
})();
