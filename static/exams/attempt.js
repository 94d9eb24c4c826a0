/* Sitting an exam (or a practice set) on a phone: one question per screen, answers saved as they
 * are chosen, kept on the phone until the server acknowledges them, a countdown from the server's
 * clock, and a clear stop when another device takes the attempt over.
 *
 * The page holds no answer key: practice feedback arrives with the server's reply to each answer.
 * Plain script, no framework and no outside asset: it must run on old phones on a slow network.
 */
(function () {
  "use strict";

  var form = document.getElementById("attempt");
  if (!form) { return; }
  var texts = JSON.parse(document.getElementById("attempt-texts").textContent);
  var code = form.getAttribute("data-code");
  var device = form.getAttribute("data-device");
  var practice = form.getAttribute("data-mode") === "practice";
  var answerUrl = form.getAttribute("data-answer-url");
  var stateUrl = form.getAttribute("data-state-url");
  var resultUrl = form.getAttribute("data-result-url");
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var positions = form.getAttribute("data-positions").split(",").filter(Boolean).map(Number);
  var statusBox = form.querySelector("[data-save-status]");
  var alertBox = form.querySelector("[data-alert]");
  var timerBox = form.querySelector("[data-timer]");
  var submitButton = form.querySelector("[data-submit]");
  var panel = form.querySelector("[data-confirm-panel]");
  var storeKey = "exams:attempt:" + code;
  var STATE_EVERY = 30000;
  var MAX_BACKOFF = 15000;

  var sections = {};
  var navButtons = {};
  positions.forEach(function (position) {
    sections[position] = document.getElementById("q" + position);
  });
  Array.prototype.forEach.call(form.querySelectorAll("[data-goto]"), function (button) {
    navButtons[Number(button.getAttribute("data-goto"))] = button;
  });

  var current = positions[0];
  var stopped = false;     // taken over, graded or signed out: this page answers no more
  var haltReason = "";
  var confirmed = false;   // the worker confirmed the submit (or the time is up)
  var inflight = false;
  var lastFailureWasNetwork = false;
  var backoff = 1000;
  var retryTimer = null;
  var sequence = 0;

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  }

  // -- unsent answers, kept on the phone ---------------------------------------------------------
  // Each entry names the page (its device token) that chose it. Another tab of the same browser
  // shares the store: a page only ever rewrites or drops its own entries.
  function readStore() {
    try {
      var data = JSON.parse(localStorage.getItem(storeKey) || "{}");
      return data && typeof data.pending === "object" && data.pending ? data.pending : {};
    } catch (error) {
      return {};
    }
  }

  function writeStore(entries) {
    try {
      if (Object.keys(entries).length) {
        localStorage.setItem(storeKey, JSON.stringify({pending: entries, at: Date.now()}));
      } else {
        localStorage.removeItem(storeKey);
      }
    } catch (error) { /* private mode or a full store: the server copy is what counts */ }
  }

  // A new page adopts what an earlier page of this browser left unsent (a reload, a crash): those
  // choices were never refused, only not delivered.
  var pending = readStore();
  Object.keys(pending).forEach(function (key) {
    if (pending[key] && typeof pending[key] === "object") { pending[key].device = device; } else { delete pending[key]; }
  });

  function storePending() {
    var stored = readStore();
    Object.keys(stored).forEach(function (key) {
      // Ours are rewritten below; a question this paper does not have is nobody's.
      if (!stored[key] || stored[key].device === device || !sections[Number(key)]) { delete stored[key]; }
    });
    Object.keys(pending).forEach(function (key) { stored[key] = pending[key]; });
    writeStore(stored);
  }

  // What the server holds as far as this page knows: the page as rendered, then each acknowledgement.
  var server = {};

  var FINAL = {status_taken_over: true, status_expired: true, status_graded: true, status_stale: true,
               status_login: true, status_reload: true};

  function setStatus(kind) {
    if (!statusBox) { return; }
    statusBox.textContent = kind ? texts[kind] : "";
    statusBox.classList.toggle("bad", kind === "offline" || !!FINAL[kind]);
    statusBox.setAttribute("data-state", kind || "");
  }

  function showAlert(message, options) {
    options = options || {};
    alertBox.textContent = "";
    alertBox.appendChild(document.createTextNode(message));
    if (options.note) {
      var note = document.createElement("div");
      note.textContent = options.note;
      alertBox.appendChild(note);
    }
    alertBox.classList.toggle("danger", !!options.danger);
    if (options.button) {
      var button = document.createElement(options.href ? "a" : "button");
      button.className = "btn block";
      button.textContent = options.button;
      if (options.href) {
        button.href = options.href;
      } else {
        button.type = "button";
        button.addEventListener("click", options.onClick);
      }
      alertBox.appendChild(button);
    }
    alertBox.hidden = false;
  }

  // -- reading the page --------------------------------------------------------------------------
  function inputsOf(position) {
    return sections[position].querySelectorAll("input[name=q" + position + "]");
  }

  function responseOf(position) {
    var letters = [];
    Array.prototype.forEach.call(inputsOf(position), function (input) {
      if (input.checked) { letters.push(input.value); }
    });
    return letters.sort().join("");
  }

  function flagOf(position) {
    return sections[position].querySelector("[data-flag]").getAttribute("aria-pressed") === "true";
  }

  function isLocked(position) {
    return !sections[position].querySelector("[data-feedback]").hidden;
  }

  function refresh(position) {
    var answered = responseOf(position) !== "";
    var flagged = flagOf(position);
    var button = navButtons[position];
    if (button) {
      button.classList.toggle("is-answered", answered);
      button.classList.toggle("is-flagged", flagged);
      button.setAttribute("aria-label", say(texts.question, {number: position}) + "，" +
        (answered ? texts.state_answered : texts.state_empty) + (flagged ? "，" + texts.state_flagged : ""));
    }
    Array.prototype.forEach.call(inputsOf(position), function (input) {
      input.parentNode.classList.toggle("chosen", input.checked);
    });
    var mark = sections[position].querySelector("[data-flag-mark]");
    if (mark) { mark.hidden = !flagged; }
  }

  function setFlag(position, flagged) {
    var button = sections[position].querySelector("[data-flag]");
    button.setAttribute("aria-pressed", flagged ? "true" : "false");
    button.textContent = flagged ? texts.unflag : texts.flag;
  }

  function setResponse(position, response) {
    Array.prototype.forEach.call(inputsOf(position), function (input) {
      input.checked = response.indexOf(input.value) !== -1;
    });
  }

  // -- moving between questions ------------------------------------------------------------------
  function show(position) {
    if (!sections[position]) { return; }
    stopSpeaking();
    sections[current].classList.remove("current");
    if (navButtons[current]) { navButtons[current].classList.remove("is-current"); }
    current = position;
    sections[current].classList.add("current");
    if (navButtons[current]) { navButtons[current].classList.add("is-current"); }
    var top = sections[current].getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) {
      window.scrollTo(0, Math.max(0, window.pageYOffset + top - 80));
    }
  }

  function step(delta) {
    var index = positions.indexOf(current) + delta;
    if (index >= 0 && index < positions.length) { show(positions[index]); }
  }

  // -- saving ------------------------------------------------------------------------------------
  function queue(position, change) {
    var entry = pending[position] || {};
    if ("response" in change) { entry.response = change.response; }
    if ("flagged" in change) { entry.flagged = change.flagged; }
    sequence += 1;
    entry.seq = sequence;
    entry.device = device;
    pending[position] = entry;
    storePending();
    setStatus("saving");
    flush();
  }

  function scheduleRetry() {
    if (retryTimer || stopped) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF);
  }

  function flush() {
    if (inflight || stopped) { return; }
    var keys = Object.keys(pending);
    if (!keys.length) {
      setStatus(sequence ? "saved" : "");
      return;
    }
    var position = Number(keys[0]);
    var entry = pending[keys[0]];
    var seq = entry.seq;
    var body = {device: device, position: position};
    if ("response" in entry) { body.response = entry.response; }
    if ("flagged" in entry) { body.flagged = entry.flagged; }
    inflight = true;
    fetch(answerUrl, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        return {status: response.status, data: data};
      }, function () {
        return {status: response.status, data: null};
      });
    }).then(function (result) {
      inflight = false;
      if (result.status === 200 && result.data && result.data.ok) {
        lastFailureWasNetwork = false;
        backoff = 1000;
        server[position] = {response: result.data.response, flagged: !!result.data.flagged};
        if (pending[position] && pending[position].seq === seq) { delete pending[position]; }
        storePending();
        if (stopped) {
          // Saved just before the page stopped: show it as the server has it.
          showServer(position);
          return;
        }
        acknowledged(position, result.data);
        flush();
        return;
      }
      if (stopped) { return; }
      refused(position, result);
    }, function () {
      // No answer at all: offline, or the connection dropped. Kept on the phone, sent again.
      inflight = false;
      lastFailureWasNetwork = true;
      setStatus("offline");
      scheduleRetry();
    });
  }

  function dropPending(position) {
    delete pending[position];
    storePending();
  }

  function showServer(position) {
    var held = server[position];
    if (!held || isLocked(position)) { return; }
    setResponse(position, held.response);
    setFlag(position, held.flagged);
    refresh(position);
  }

  // The server will never take this page's unsent choices (another device holds the attempt, or it
  // is graded): put each question back as the server has it, and forget them, so that taking the
  // attempt back does not overwrite what was answered on the other device. Returns how many.
  function abandonPending() {
    var keys = Object.keys(pending);
    pending = {};
    storePending();
    keys.forEach(function (key) { showServer(Number(key)); });
    return keys.length;
  }

  function refused(position, result) {
    var data = result.data || {};
    var code = data.code || "";
    if (result.status === 401) {
      halt("login");
      setStatus("status_login");
      showAlert(texts.login, {danger: true, button: texts.log_in, href: form.getAttribute("data-login-url")});
      return;
    }
    if (result.status === 403) {
      // The page's CSRF token is stale (signed in again elsewhere): a reload gets a new one and
      // sends the answers kept on the phone.
      halt("reload");
      setStatus("status_reload");
      showAlert(texts.reload, {danger: true, button: texts.reload_button, onClick: function () { window.location.reload(); }});
      return;
    }
    if (data.code) { lastFailureWasNetwork = false; }
    if (code === "taken_over") { takenOver(); return; }
    if (code === "graded") { finished(texts.graded, "status_graded"); return; }
    if (code === "expired") { finished(texts.expired, "status_expired"); return; }
    if (code === "stale") { stale(); return; }
    if (code === "answered") { dropPending(position); flush(); return; }
    if (result.status === 400 || result.status === 404) {
      dropPending(position);
      showAlert(texts.error + (data.message || ""), {danger: true});
      flush();
      return;
    }
    // A server error or a proxy's page: try again later, the answer stays on the phone.
    lastFailureWasNetwork = true;
    setStatus("offline");
    scheduleRetry();
  }

  function acknowledged(position, data) {
    syncTimer(data.remaining_seconds);
    if (data.feedback) { showFeedback(position, data.feedback); }
  }

  function showFeedback(position, feedback) {
    var section = sections[position];
    var box = section.querySelector("[data-feedback]");
    box.textContent = "";
    var line = document.createElement("p");
    var verdict = document.createElement("b");
    verdict.textContent = feedback.correct ? texts.correct : texts.wrong;
    line.appendChild(verdict);
    line.appendChild(document.createTextNode(" " + texts.key + feedback.answer_shown));
    box.appendChild(line);
    if (feedback.explanation) {
      var explanation = document.createElement("p");
      explanation.textContent = texts.explanation + feedback.explanation;
      box.appendChild(explanation);
    }
    box.classList.toggle("ok", !!feedback.correct);
    box.hidden = false;
    Array.prototype.forEach.call(inputsOf(position), function (input) {
      var isKey = feedback.answer.indexOf(input.value) !== -1;
      input.disabled = true;
      input.parentNode.classList.toggle("is-key", isKey);
      input.parentNode.classList.toggle("is-wrong", input.checked && !isKey);
    });
    var confirmAnswer = section.querySelector("[data-confirm-answer]");
    if (confirmAnswer) { confirmAnswer.hidden = true; }
  }

  function waitForSaved(milliseconds) {
    return new Promise(function (resolve) {
      var started = Date.now();
      (function check() {
        if (!Object.keys(pending).length) { resolve(true); return; }
        if (Date.now() - started > milliseconds || stopped) { resolve(false); return; }
        flush();
        setTimeout(check, 200);
      })();
    });
  }

  // -- stopping ----------------------------------------------------------------------------------
  function halt(reason) {
    stopped = true;
    haltReason = reason;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (tickTimer) { clearInterval(tickTimer); }
    if (stateTimer) { clearInterval(stateTimer); }
    stopSpeaking();
    form.classList.add("attempt-done");
    Array.prototype.forEach.call(form.querySelectorAll(
      "input, [data-submit], [data-confirm-yes], [data-flag], [data-confirm-answer]"), function (element) {
      element.disabled = true;
    });
    if (panel) { panel.hidden = true; }
  }

  // The end of this page's answering, told in the bar and in the alert; its unsent choices go.
  function stop(reason, status, message, options) {
    halt(reason);
    setStatus(status);
    options.note = abandonPending() ? texts.discarded : "";
    showAlert(message, options);
  }

  function reloadPage() { window.location.reload(); }

  function takenOver() {
    stop("taken_over", "status_taken_over", texts.taken_over, {danger: true, button: texts.take_back, onClick: reloadPage});
  }

  function finished(message, status) {
    stop("finished", status || "status_graded", message, {button: texts.view_result, href: resultUrl});
  }

  function stale() {
    stop("stale", "status_stale", texts.stale, {danger: true, button: texts.reload_button, onClick: reloadPage});
  }

  function checkState() {
    if (stopped) { return; }
    fetch(stateUrl + "?device=" + encodeURIComponent(device), {credentials: "same-origin", cache: "no-store",
                                                               headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || stopped) { return; }
        if (data.status === "graded") {
          if (!confirmed) {
            var expired = timerBox && data.remaining_seconds === 0;
            finished(expired ? texts.expired : texts.graded, expired ? "status_expired" : "status_graded");
          }
          return;
        }
        if (!data.device_current) { takenOver(); return; }
        syncTimer(data.remaining_seconds);
      }, function () { /* offline: the next poll or save will tell */ });
  }

  // -- the countdown -----------------------------------------------------------------------------
  var deadline = null;  // in performance.now() time: the phone's wall clock may be wrong or change
  var tickTimer = null;
  var stateTimer = null;
  var timeUp = false;

  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  function syncTimer(seconds) {
    if (seconds === null || seconds === undefined || !timerBox) { return; }
    deadline = now() + Number(seconds) * 1000;
    tick();
  }

  function pad(number) { return (number < 10 ? "0" : "") + number; }

  function tick() {
    if (deadline === null) { return; }
    var left = Math.max(0, Math.round((deadline - now()) / 1000));
    var hours = Math.floor(left / 3600);
    var text = (hours ? hours + ":" + pad(Math.floor(left % 3600 / 60)) : pad(Math.floor(left / 60))) + ":" + pad(left % 60);
    timerBox.textContent = text;
    timerBox.classList.toggle("low", left <= 60);
    if (left <= 0 && !timeUp && !stopped) {
      timeUp = true;
      showAlert(texts.time_up);
      submitNow(true);
    }
  }

  // -- submitting --------------------------------------------------------------------------------
  function unansweredCount() {
    return positions.filter(function (position) { return responseOf(position) === ""; }).length;
  }

  function openConfirm() {
    var count = unansweredCount();
    var message = count ? say(texts.unanswered, {count: count}) : texts.all_answered;
    panel.querySelector("[data-confirm-text]").textContent = message + " " + (practice ? texts.confirm_practice : texts.confirm_exam);
    panel.hidden = false;
    panel.querySelector("[data-confirm-yes]").focus();
  }

  function submitNow(force) {
    if (confirmed) { return; }
    confirmed = true;
    var yes = panel.querySelector("[data-confirm-yes]");
    yes.disabled = true;
    submitButton.disabled = true;
    waitForSaved(force ? 5000 : 4000).then(function (allSaved) {
      if (haltReason === "finished") { window.location.href = resultUrl; return; }
      if (haltReason) { return; }
      if ((!allSaved && lastFailureWasNetwork) || navigator.onLine === false) {
        // Offline: the form would not reach the server either; the answers stay on the phone.
        // At the deadline the server grades what it has; answers sent within its grace still count.
        confirmed = false;
        yes.disabled = false;
        submitButton.disabled = false;
        showAlert(force ? texts.time_up_offline : texts.offline_submit, {danger: true});
        if (force) { setTimeout(function () { submitNow(true); }, 3000); }
        return;
      }
      stopped = true;
      // HTMLFormElement.submit() sends the chosen answers too, without firing "submit" again.
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!stopped) { openConfirm(); }
  });
  panel.querySelector("[data-confirm-yes]").addEventListener("click", function () { submitNow(false); });
  panel.querySelector("[data-confirm-no]").addEventListener("click", function () { panel.hidden = true; });

  // -- reading aloud -----------------------------------------------------------------------------
  var synth = window.speechSynthesis;
  var canSpeak = !!synth && typeof window.SpeechSynthesisUtterance === "function";
  var speakingButton = null;

  function stopSpeaking() {
    if (canSpeak && (synth.speaking || synth.pending)) { synth.cancel(); }
    if (speakingButton) { speakingButton.textContent = texts.speak; speakingButton = null; }
  }

  function speak(position, button) {
    if (speakingButton === button) { stopSpeaking(); return; }
    stopSpeaking();
    var section = sections[position];
    var parts = [section.querySelector("[data-stem]").textContent.trim()];
    Array.prototype.forEach.call(section.querySelectorAll(".option"), function (label) {
      parts.push(label.querySelector(".letter").textContent + "，" + label.querySelector("[data-option-text]").textContent);
    });
    var utterance = new window.SpeechSynthesisUtterance(parts.join("。"));
    utterance.lang = "zh-CN";
    var voices = synth.getVoices ? synth.getVoices() : [];
    for (var index = 0; index < voices.length; index += 1) {
      if (/^zh/i.test(voices[index].lang)) { utterance.voice = voices[index]; break; }
    }
    utterance.rate = 0.9;
    utterance.onend = utterance.onerror = function () {
      if (speakingButton === button) { button.textContent = texts.speak; speakingButton = null; }
    };
    speakingButton = button;
    button.textContent = texts.stop;
    synth.speak(utterance);
  }

  // -- large text --------------------------------------------------------------------------------
  var largeButton = form.querySelector("[data-large-text]");
  function setLarge(on) {
    document.documentElement.classList.toggle("large-text", on);
    largeButton.setAttribute("aria-pressed", on ? "true" : "false");
    try { localStorage.setItem("exams:large-text", on ? "1" : "0"); } catch (error) { /* not remembered */ }
  }
  largeButton.setAttribute("aria-pressed", document.documentElement.classList.contains("large-text") ? "true" : "false");
  largeButton.addEventListener("click", function () {
    setLarge(!document.documentElement.classList.contains("large-text"));
  });

  // -- wiring each question ----------------------------------------------------------------------
  positions.forEach(function (position) {
    var section = sections[position];
    var multiple = section.getAttribute("data-kind") === "multiple";
    Array.prototype.forEach.call(inputsOf(position), function (input) {
      input.addEventListener("change", function () {
        refresh(position);
        if (stopped) { return; }
        // A practice answer is final once sent (its key comes back): several choices are confirmed first.
        if (practice && multiple) { return; }
        queue(position, {response: responseOf(position)});
      });
    });
    var confirmAnswer = section.querySelector("[data-confirm-answer]");
    if (confirmAnswer) {
      confirmAnswer.addEventListener("click", function () {
        var response = responseOf(position);
        if (!response) { showAlert(texts.choose); return; }
        alertBox.hidden = true;
        queue(position, {response: response});
      });
    }
    section.querySelector("[data-flag]").addEventListener("click", function () {
      if (stopped) { return; }
      var flagged = !flagOf(position);
      setFlag(position, flagged);
      refresh(position);
      queue(position, {flagged: flagged});
    });
    section.querySelector("[data-prev]").addEventListener("click", function () { step(-1); });
    section.querySelector("[data-next]").addEventListener("click", function () { step(1); });
    var speakButton = section.querySelector("[data-speak]");
    if (canSpeak) {
      speakButton.hidden = false;
      speakButton.addEventListener("click", function () { speak(position, speakButton); });
    }
  });
  Object.keys(navButtons).forEach(function (position) {
    navButtons[position].addEventListener("click", function () { show(Number(position)); });
  });

  // -- start -------------------------------------------------------------------------------------
  positions.forEach(function (position) {
    server[position] = {response: responseOf(position), flagged: flagOf(position)};
  });
  // Answers chosen but not acknowledged before a reload or a lost connection are put back first.
  Object.keys(pending).forEach(function (key) {
    var position = Number(key);
    if (!sections[position]) { delete pending[key]; return; }
    var entry = pending[key];
    if ("response" in entry && !isLocked(position) && typeof entry.response === "string") { setResponse(position, entry.response); }
    if ("flagged" in entry) { setFlag(position, !!entry.flagged); }
  });
  storePending();
  positions.forEach(refresh);
  if (timerBox) {
    var initial = form.getAttribute("data-remaining");
    syncTimer(initial === "" ? null : Number(initial));
    tickTimer = setInterval(tick, 1000);
  }
  stateTimer = setInterval(checkState, STATE_EVERY);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { checkState(); flush(); }
  });
  window.addEventListener("online", function () {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    backoff = 1000;
    flush();
    checkState();
  });
  window.addEventListener("pageshow", function (event) {
    // Back to a page kept in memory: its device token may be stale, so open the attempt afresh.
    if (event.persisted) { window.location.reload(); }
  });
  window.addEventListener("offline", function () {
    if (Object.keys(pending).length) { setStatus("offline"); }
  });
  if (Object.keys(pending).length) { sequence = 1; setStatus("saving"); flush(); }
})();
