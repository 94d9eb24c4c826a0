/* The lesson page's study clock: a heartbeat every data-interval seconds while the page is in
 * front and the worker active, an idle check, the no-fast-forward rule of the video, and a queue
 * on the phone for beats made offline. The server decides what counts (learning.services.study);
 * this script only reports what happened, honestly, and shows the server's answer.
 * Plain script, no framework, no outside asset: old phones, slow networks.
 */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    // A lesson once opened can be read offline (/courses/sw.js keeps a copy). This page came
    // before the worker did when nothing controls it: the worker is told to keep it and its files.
    var fresh = !navigator.serviceWorker.controller;
    navigator.serviceWorker.register("/courses/sw.js", {scope: "/courses/"}).then(function () {
      return fresh && navigator.serviceWorker.ready.then(function (ready) {
        var urls = [location.pathname + location.search];
        Array.prototype.forEach.call(document.querySelectorAll("script[src], link[rel=stylesheet]"),
          function (node) { urls.push(node.src || node.href); });
        if (ready.active) { ready.active.postMessage({cache: urls}); }
      });
    }).catch(function () {});
  }
  var page = document.querySelector("article[data-study]");
  if (!page) { return; }

  // What the page says comes translated from the server (learning.study_views.study_texts).
  var T = {};
  try { T = JSON.parse(document.getElementById("study-texts").textContent) || {}; } catch (error) { /* silent */ }

  function number(name, fallback) {
    var value = parseFloat(page.getAttribute("data-" + name));
    return isFinite(value) ? value : fallback;
  }
  var lesson = page.getAttribute("data-lesson");
  var url = page.getAttribute("data-heartbeat-url") || "/api/v1/learning/heartbeats/";
  var every = Math.max(1, number("interval", 30)) * 1000;
  var idleAfter = Math.max(1, number("idle", 300)) * 1000;
  function find(selector) { return page.querySelector(selector) || document.querySelector(selector); }
  var video = find("[data-study-video]");
  var bar = find("[data-lesson-progress]");
  var statusBox = find("[data-study-status]");
  var dialog = find("[data-idle-dialog]");
  var PREFIX = "study:queue:";
  var LAST = "study:last:" + lesson;
  var KEEP = 72 * 3600 * 1000;  // STUDY_QUEUE_MAX_HOURS: older beats are refused anyway

  // One key per page view: each view is a study session of its own on the server.
  function randomKey() {
    var bytes = new Uint8Array(18);
    if (window.crypto && crypto.getRandomValues) { crypto.getRandomValues(bytes); } else {
      for (var i = 0; i < bytes.length; i++) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  // The CSRF secret changes at every login: queues are kept per login, so beats made by one
  // person are never sent with the next person's session on a shared phone.
  var login = csrf();
  var owner = PREFIX + login.slice(0, 8) + ":";
  var key = randomKey();
  var ownQueue = owner + lesson + ":" + key;
  var seq = 0;
  var furthest = number("furthest", 0);

  var state = {credited: number("credited", 0), required: number("required", 0),
               completed: page.getAttribute("data-completed") === "1"};
  // A page read offline from the cache is as old as its last visit: what this phone heard later wins.
  try {
    var last = JSON.parse(localStorage.getItem(LAST) || "null");
    if (last && last.credited > state.credited) { state = last; }
  } catch (error) { /* nothing kept */ }

  var timer = null;
  var busy = false;
  var stopped = false;
  var idle = false;
  var lastActive = Date.now();
  var note = "";

  function say(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, function (match, word) { return String(values[word]); });
  }

  function show() {
    if (bar) {
      var share = state.required > 0 ? Math.min(1, state.credited / state.required) : 0;
      bar.value = share * (bar.max || 1);
    }
    if (!statusBox) { return; }
    var text = (state.completed ? T.done : say(T.counted, {
      credited: Math.floor(state.credited / 60), required: Math.ceil(state.required / 60)})) || "";
    statusBox.textContent = note ? text + " · " + note : text;
  }

  // -- the queue on the phone: per lesson and page view, oldest first ----------------------------
  function load(name) {
    try { return JSON.parse(localStorage.getItem(name) || "[]") || []; } catch (error) { return []; }
  }
  function store(name, beats) {
    try {
      if (beats.length) { localStorage.setItem(name, JSON.stringify(beats)); } else { localStorage.removeItem(name); }
    } catch (error) { /* a full or private store: the beat is lost, never invented */ }
  }
  function enqueue(beat) {
    beat.queued = true;
    var beats = load(ownQueue);
    beats.push(beat);
    store(ownQueue, beats);
  }
  function nextQueue() {
    if (load(ownQueue).length) { return ownQueue; }
    // What an earlier view of this login left behind (closed while offline) goes too; another
    // login's queue cannot be sent by anyone now, and is dropped once too old to count.
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var name = localStorage.key(i) || "";
      if (name.indexOf(owner) === 0) { return name; }
      if (name.indexOf(PREFIX) === 0) {
        var first = load(name)[0];
        if (!first || Date.now() - Date.parse(first.at) > KEEP) { localStorage.removeItem(name); }
      }
    }
    return null;
  }

  function post(beats, keepalive) {
    if (csrf() !== login) { return Promise.reject({status: 403}); }  // signed out, or someone else in
    return fetch(url, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
      body: JSON.stringify({beats: beats})
    }).then(function (response) {
      if (!response.ok) { throw {status: response.status}; }
      return response.json();
    });
  }

  function heard(answer, mine) {
    var result = answer.results[answer.results.length - 1];
    if (mine && result) {
      state = {credited: result.lesson_credited, required: result.lesson_required,
               completed: result.lesson_completed};
      furthest = Math.max(furthest, result.video_furthest || 0);
      note = result.credited ? "" : result.message;
      try { localStorage.setItem(LAST, JSON.stringify(state)); } catch (error) { /* only a hint */ }
    }
    if (answer.other_device) {
      // Another login took the clock: this page stops for good (its beats would all be refused).
      stop(T.other_device);
      return;
    }
    show();
  }

  function failed(problem, beats, name) {
    busy = false;
    if (problem && problem.status === 403) { stop(T.signed_out); return; }
    if (problem && (problem.status === 400 || problem.status === 404)) {
      // Never acceptable, whatever the network does: sending it again would only repeat the refusal.
      if (name !== null) { store(name, load(name).slice(beats.length)); }
      return;
    }
    if (name === null) { beats.forEach(enqueue); }
    note = T.offline;
    show();
  }

  // Send what waits, oldest first, up to 100 beats a request, one request at a time.
  function pump() {
    if (busy || stopped || !navigator.onLine) { return; }
    var name = nextQueue();
    if (!name) { return; }
    var beats = load(name).slice(0, 100);
    if (!beats.length) { store(name, []); return; }
    busy = true;
    note = T.sending;
    show();
    post(beats, false).then(function (answer) {
      busy = false;
      store(name, load(name).slice(beats.length));
      note = "";
      heard(answer, name === ownQueue);
      pump();
    }, function (problem) { failed(problem, beats, name); });
  }

  function beat(visible) {
    var made = {lesson: Number(lesson), session: key, seq: seq++, at: new Date().toISOString(),
                active: visible && isActive(), visible: visible, queued: false};
    if (video && isFinite(video.duration) && video.duration > 0) {
      made.position = Math.round(video.currentTime * 10) / 10;
      made.duration = Math.round(video.duration * 10) / 10;
    }
    return made;
  }

  function send(made, keepalive) {
    if (stopped) { return; }
    // Beats go in order: while older ones wait, a new one waits behind them (the server would
    // take an older beat arriving after a newer one for a replay).
    if (busy || !navigator.onLine || load(ownQueue).length) {
      enqueue(made);
      if (!navigator.onLine) { note = T.offline; show(); }
      pump();
      return;
    }
    busy = true;
    post([made], keepalive).then(function (answer) {
      busy = false;
      heard(answer, true);
      pump();
    }, function (problem) { failed(problem, [made], null); });
  }

  // -- when to beat ------------------------------------------------------------------------------
  function playing() { return !!video && !video.paused && !video.ended; }
  function isActive() { return playing() || Date.now() - lastActive < idleAfter; }

  function start() {
    clearInterval(timer);
    timer = null;
    if (stopped || idle || document.visibilityState === "hidden") { return; }
    timer = setInterval(tick, every);
    send(beat(true));
  }

  function tick() {
    if (document.visibilityState === "hidden") { return; }
    if (!isActive()) { goIdle(); return; }
    send(beat(true));
  }

  function goIdle() {
    idle = true;
    clearInterval(timer);
    timer = null;
    send(beat(true));  // says "idle": the time from here to the confirmation is not study
    note = T.idle;
    show();
    if (dialog) {
      if (dialog.showModal) { try { dialog.showModal(); } catch (error) { dialog.setAttribute("open", ""); } }
      else { dialog.setAttribute("open", ""); }
    }
  }

  function stop(message) {
    stopped = true;
    clearInterval(timer);
    timer = null;
    note = message;
    show();
  }

  function touched() {
    lastActive = Date.now();
  }
  ["touchstart", "pointerdown", "keydown", "scroll", "wheel"].forEach(function (type) {
    window.addEventListener(type, touched, {passive: true, capture: true});
  });

  if (dialog) {
    var button = dialog.querySelector("[data-idle-confirm]");
    var resume = function (event) {
      if (event) { event.preventDefault(); }
      if (dialog.close && dialog.open) { dialog.close(); } else { dialog.removeAttribute("open"); }
      touched();
      if (idle) { idle = false; note = ""; start(); }
    };
    if (button) { button.addEventListener("click", resume); }
    dialog.addEventListener("cancel", resume);
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      clearInterval(timer);
      timer = null;
      if (!idle) { send(beat(false), true); }  // keepalive: the page may be frozen right after
    } else if (!idle) {
      touched();
      start();
    }
  });
  window.addEventListener("online", function () { note = ""; show(); pump(); });
  window.addEventListener("offline", function () { note = T.offline; show(); });

  // -- the video: resume where left, never past what was watched -----------------------------------
  if (video) {
    var resumeAt = number("position", 0);
    var placed = false;
    var place = function () {
      if (placed) { return; }
      placed = true;
      if (resumeAt > 0 && (!isFinite(video.duration) || resumeAt < video.duration - 1)) {
        video.currentTime = Math.min(resumeAt, furthest || resumeAt);
      }
    };
    if (video.readyState >= 1) { place(); } else { video.addEventListener("loadedmetadata", place); }
    video.addEventListener("timeupdate", function () {
      // Playing moves the furthest point forward; a jump does not (seeking is checked below).
      if (!video.seeking && video.currentTime > furthest && video.currentTime - furthest < 3) {
        furthest = video.currentTime;
      }
    });
    video.addEventListener("seeking", function () {
      if (video.currentTime > furthest + 2) {
        video.currentTime = furthest;
        note = T.no_skip;
        show();
      }
    });
    video.addEventListener("play", touched);
    video.addEventListener("ended", function () {
      // The end reached by playing: the whole video counts as watched, reported at once.
      if (video.duration - furthest < 3) { furthest = video.duration; }
      touched();
      send(beat(document.visibilityState !== "hidden"));
    });
  }

  show();
  start();
  pump();
})();
