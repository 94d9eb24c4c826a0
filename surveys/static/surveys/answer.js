/* Answering a survey on a phone: skip logic as answers change, answers kept on the phone as they
 * are given, and a submit that survives a dropped connection (kept, then sent again when the phone
 * is back online, on the `online` event and on a timer).
 *
 * Skip logic evaluates the same subset of XLSForm's `relevant` as surveys/services/relevance.py,
 * with the same grammar and the same answers (items in order, each read against the answers of
 * the items before it that apply), so an item the phone hides is one the server does not expect.
 * Plain script, no framework and no outside asset: old phones, slow networks.
 */
(function () {
  "use strict";

  // -- relevant: ${code}, 'text', numbers, = != < <= > >=, and, or, not(), selected(), count-selected()
  var TOKEN = /^\s*(?:(\$\{([^}]*)\})|('[^']*'|"[^"]*")|(-?\d+(?:\.\d+)?)|(!=|<=|>=|=|<|>)|([(),])|([A-Za-z][A-Za-z\-]*))/;
  var CODE = /^[A-Za-z_][A-Za-z0-9_\-]*$/;

  function SyntaxProblem(message) { this.message = message; }

  function tokenize(text) {
    var tokens = [];
    var rest = text.replace(/\s+$/, "");
    while (rest.length) {
      var match = TOKEN.exec(rest);
      if (!match || !match[0].length) { throw new SyntaxProblem("unreadable"); }
      if (match[1]) { tokens.push(["ref", match[2]]); }
      else if (match[3]) { tokens.push(["string", match[3]]); }
      else if (match[4]) { tokens.push(["number", match[4]]); }
      else if (match[5]) { tokens.push(["op", match[5]]); }
      else if (match[6]) { tokens.push(["punct", match[6]]); }
      else { tokens.push(["word", match[7]]); }
      rest = rest.slice(match[0].length);
    }
    return tokens;
  }

  function parse(text) {
    var tokens = tokenize(text);
    var position = 0;
    function peek() { return position < tokens.length ? tokens[position] : null; }
    function at(kind, value) {
      var token = peek();
      return !!token && token[0] === kind && (value === undefined || token[1] === value);
    }
    function take(kind, value) {
      if (!at(kind, value)) { throw new SyntaxProblem("expected " + (value || kind)); }
      position += 1;
      return tokens[position - 1][1];
    }
    function expression() {
      var parts = [conjunction()];
      while (at("word", "or")) { position += 1; parts.push(conjunction()); }
      return parts.length === 1 ? parts[0] : {node: "logic", op: "or", parts: parts};
    }
    function conjunction() {
      var parts = [comparison()];
      while (at("word", "and")) { position += 1; parts.push(comparison()); }
      return parts.length === 1 ? parts[0] : {node: "logic", op: "and", parts: parts};
    }
    function comparison() {
      var left = operand();
      if (at("op")) {
        var op = take("op");
        return {node: "compare", op: op, left: left, right: operand()};
      }
      return left;
    }
    function operand() {
      var token = peek();
      if (!token) { throw new SyntaxProblem("incomplete"); }
      if (token[0] === "punct" && token[1] === "(") {
        position += 1;
        var inner = expression();
        take("punct", ")");
        return inner;
      }
      if (token[0] === "ref") {
        position += 1;
        if (!CODE.test(token[1])) { throw new SyntaxProblem("bad code"); }
        return {node: "ref", code: token[1]};
      }
      if (token[0] === "string") { position += 1; return {node: "literal", value: token[1].slice(1, -1)}; }
      if (token[0] === "number") { position += 1; return {node: "literal", value: parseFloat(token[1]), number: true}; }
      if (token[0] === "word") { return call(token[1]); }
      throw new SyntaxProblem("unexpected " + token[1]);
    }
    function call(name) {
      position += 1;
      take("punct", "(");
      if (name === "not") {
        var inner = expression();
        take("punct", ")");
        return {node: "not", part: inner};
      }
      if (name === "true" || name === "false") { take("punct", ")"); return {node: "call", name: name, args: []}; }
      if (name === "selected") {
        var ref = operand();
        take("punct", ",");
        var literal = operand();
        take("punct", ")");
        if (ref.node !== "ref" || literal.node !== "literal") { throw new SyntaxProblem("selected()"); }
        return {node: "call", name: name, args: [ref, literal]};
      }
      if (name === "count-selected") {
        var counted = operand();
        take("punct", ")");
        if (counted.node !== "ref") { throw new SyntaxProblem("count-selected()"); }
        return {node: "call", name: name, args: [counted]};
      }
      throw new SyntaxProblem("function " + name);
    }
    var tree = expression();
    if (peek() !== null) { throw new SyntaxProblem("trailing"); }
    return tree;
  }

  // An answer as XPath sees it: a multiple choice is its values joined by spaces; none is "".
  function scalar(value) {
    if (value === null || value === undefined) { return ""; }
    if (Array.isArray(value)) { return value.map(String).join(" "); }
    if (typeof value === "boolean") { return value ? "true" : "false"; }
    return String(value);
  }

  function toNumber(text) {
    // Python's float(): surrounding spaces allowed, an empty or partial number is not one.
    var trimmed = String(text).trim();
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) { return null; }
    return parseFloat(trimmed);
  }

  function value(node, answers) {
    if (node.node === "ref") { return scalar(answers[node.code]); }
    if (node.node === "literal") { return node.number ? {number: node.value} : node.value; }
    if (node.node === "call" && node.name === "count-selected") {
      var answer = answers[node.args[0].code];
      if (Array.isArray(answer)) { return {number: answer.length}; }
      var words = scalar(answer).split(/\s+/).filter(Boolean);
      return {number: words.length};
    }
    return truth(node, answers);
  }

  function compare(op, left, right) {
    if (typeof left === "boolean" || typeof right === "boolean") {
      var a = typeof left === "boolean" ? left : truthy(left);
      var b = typeof right === "boolean" ? right : truthy(right);
      return op === "=" ? a === b : (op === "!=" ? a !== b : false);
    }
    var leftNumber = typeof left === "object" ? left.number : toNumber(left);
    var rightNumber = typeof right === "object" ? right.number : toNumber(right);
    if (leftNumber !== null && rightNumber !== null) {
      switch (op) {
        case "=": return leftNumber === rightNumber;
        case "!=": return leftNumber !== rightNumber;
        case "<": return leftNumber < rightNumber;
        case "<=": return leftNumber <= rightNumber;
        case ">": return leftNumber > rightNumber;
        default: return leftNumber >= rightNumber;
      }
    }
    var leftText = typeof left === "object" ? numberText(left.number) : left;
    var rightText = typeof right === "object" ? numberText(right.number) : right;
    if (op === "=") { return leftText === rightText; }
    if (op === "!=") { return leftText !== rightText; }
    // An order between texts (or with an unanswered item) is false, as XPath's number('') is NaN.
    return false;
  }

  // Python's str() of a float that is whole drops its ".0", as JavaScript's String() does.
  function numberText(number) { return String(number); }

  function truthy(operandValue) {
    if (typeof operandValue === "object" && operandValue !== null) { return operandValue.number !== 0; }
    return !!operandValue;
  }

  function truth(node, answers) {
    if (node.node === "logic") {
      if (node.op === "and") { return node.parts.every(function (part) { return truth(part, answers); }); }
      return node.parts.some(function (part) { return truth(part, answers); });
    }
    if (node.node === "not") { return !truth(node.part, answers); }
    if (node.node === "compare") { return compare(node.op, value(node.left, answers), value(node.right, answers)); }
    if (node.node === "call") {
      if (node.name === "true") { return true; }
      if (node.name === "false") { return false; }
      if (node.name === "selected") {
        var answer = answers[node.args[0].code];
        var chosen = Array.isArray(answer) ? answer.map(String) : scalar(answer).split(/\s+/).filter(Boolean);
        var literal = node.args[1];
        var wanted = literal.number ? numberText(literal.value) : literal.value;
        return chosen.indexOf(wanted) !== -1;
      }
      return truthy(value(node, answers));
    }
    if (node.node === "ref") { return scalar(answers[node.code]) !== ""; }
    if (node.node === "literal") { return node.number ? node.value !== 0 : !!node.value; }
    return false;
  }

  var parsed = {};
  // Does the item apply? "" always does; one that cannot be read does too (the server's choice).
  function relevant(expression, answers) {
    if (!expression || !expression.trim()) { return true; }
    try {
      if (!(expression in parsed)) { parsed[expression] = parse(expression); }
      return truth(parsed[expression], answers || {});
    } catch (problem) {
      if (problem instanceof SyntaxProblem) { return true; }
      throw problem;
    }
  }
  window.SurveyRelevance = {evaluate: relevant};

  // -- the page ------------------------------------------------------------------------------------
  var form = document.getElementById("survey");
  if (!form) { return; }
  var texts = JSON.parse(document.getElementById("survey-texts").textContent);
  var storeKey = form.getAttribute("data-store");
  var mode = form.getAttribute("data-mode");
  var submitUrl = form.getAttribute("data-submit-url");
  var tokenUrl = form.getAttribute("data-token-url");
  var doneUrl = form.getAttribute("data-done-url");
  var csrfInput = form.querySelector("input[name=csrfmiddlewaretoken]");
  var csrf = csrfInput ? csrfInput.value : "";
  var statusLine = form.querySelector("[data-save-status]");
  var alertBox = form.querySelector("[data-alert]");
  var submitButton = form.querySelector("[data-submit]");
  var items = Array.prototype.slice.call(form.querySelectorAll("[data-item]"));
  var RETRY_FIRST = 3000;
  var RETRY_MAX = 60000;

  function say(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  }

  function load() {
    try {
      var data = JSON.parse(localStorage.getItem(storeKey) || "null");
      return data && typeof data === "object" ? data : {};
    } catch (error) { return {}; }
  }

  var store = load();
  if (typeof store.answers !== "object" || !store.answers) { store.answers = {}; }
  if (mode === "token") { store.token = form.getAttribute("data-token"); }
  if (mode === "worker") { delete store.token; }
  if (!store.started_at) { store.started_at = new Date().toISOString(); }

  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(store)); } catch (error) { /* private mode: the page still submits */ }
  }

  function setStatus(text, bad) {
    statusLine.textContent = text || "";
    statusLine.style.color = bad ? "#8a4b00" : "";
    statusLine.setAttribute("data-state", bad ? "bad" : "");
  }

  function showAlert(message, kind) {
    alertBox.textContent = message || "";
    alertBox.className = "alert " + (kind || "danger");
    alertBox.hidden = !message;
  }

  // -- reading and writing each item ---------------------------------------------------------------
  function widgetOf(item) { return item.getAttribute("data-widget"); }
  function codeOf(item) { return item.getAttribute("data-code"); }

  function readItem(item) {
    var widget = widgetOf(item);
    if (widget === "note") { return null; }
    if (widget === "radio" || widget === "checkbox") {
      var chosen = [];
      Array.prototype.forEach.call(item.querySelectorAll("input"), function (input) {
        if (input.checked) { chosen.push(input.value); }
      });
      if (widget === "checkbox") { return chosen.length ? chosen : null; }
      return chosen.length ? chosen[0] : null;
    }
    var field = item.querySelector("input, select");
    var text = field.value.trim();
    return text === "" ? null : text;
  }

  function writeItem(item, answer) {
    var widget = widgetOf(item);
    if (widget === "note" || answer === null || answer === undefined) { return; }
    if (widget === "radio" || widget === "checkbox") {
      var wanted = Array.isArray(answer) ? answer.map(String) : [String(answer)];
      Array.prototype.forEach.call(item.querySelectorAll("input"), function (input) {
        input.checked = wanted.indexOf(input.value) !== -1;
      });
      return;
    }
    item.querySelector("input, select").value = String(answer);
  }

  // Skip logic, in order, as the server applies it; returns the answers of the items that apply.
  function applySkips() {
    var soFar = {};
    items.forEach(function (item) {
      var applies = relevant(item.getAttribute("data-relevant") || "", soFar);
      item.classList.toggle("skipped", !applies);
      if (!applies) { return; }
      var answer = readItem(item);
      if (answer !== null) { soFar[codeOf(item)] = answer; }
    });
    return soFar;
  }

  function setError(item, message) {
    var box = item.querySelector("[data-error]");
    if (!box) { return; }
    box.textContent = message || "";
    box.hidden = !message;
    item.classList.toggle("invalid", !!message);
  }

  function changed(event) {
    var item = event.target.closest("[data-item]");
    if (item) { setError(item, ""); }
    var answers = applySkips();
    // Everything given is kept, hidden items too: an answer changed back shows them again as they were.
    items.forEach(function (each) {
      var answer = readItem(each);
      if (answer === null) { delete store.answers[codeOf(each)]; } else { store.answers[codeOf(each)] = answer; }
    });
    save();
    if (!store.sending) { setStatus(Object.keys(answers).length ? texts.saved_here : ""); }
  }

  function check(answers) {
    var first = null;
    items.forEach(function (item) {
      if (item.classList.contains("skipped") || widgetOf(item) === "note") { return; }
      var code = codeOf(item);
      var message = "";
      var answer = answers[code];
      if (item.getAttribute("data-required") === "1" && (answer === undefined || answer === null)) {
        message = texts.required;
      } else if (widgetOf(item) === "integer" && answer !== undefined) {
        var min = item.getAttribute("data-min");
        var max = item.getAttribute("data-max");
        if (!/^-?\d{1,9}$/.test(answer)) { message = texts.integer; }
        else if (min !== null && Number(answer) < Number(min)) { message = say(texts.min, {min: min}); }
        else if (max !== null && Number(answer) > Number(max)) { message = say(texts.max, {max: max}); }
      }
      setError(item, message);
      if (message && !first) { first = item; }
    });
    return first;
  }

  // -- sending ---------------------------------------------------------------------------------------
  var inflight = false;
  var retryTimer = null;
  var retryDelay = RETRY_FIRST;

  function post(url, body) {
    var headers = {"Content-Type": "application/json", "Accept": "application/json"};
    if (csrf) { headers["X-CSRFToken"] = csrf; }
    return fetch(url, {method: "POST", credentials: "same-origin", cache: "no-store", headers: headers,
                       body: JSON.stringify(body)})
      .then(function (response) {
        return response.json().then(function (data) { return {status: response.status, data: data}; },
                                    function () { return {status: response.status, data: null}; });
      });
  }

  function scheduleRetry() {
    if (retryTimer) { return; }
    retryTimer = setTimeout(function () { retryTimer = null; send(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX);
  }

  function offline(text) {
    inflight = false;
    submitButton.disabled = false;
    setStatus(text || texts.offline, true);
    scheduleRetry();
  }

  // An open link's phone needs its one-time token before it sends; it keeps it with the answers.
  function ensureToken() {
    if (mode !== "open" || store.token) { return Promise.resolve(true); }
    if (!tokenUrl) { return Promise.resolve(false); }
    return post(tokenUrl, {}).then(function (result) {
      if (result.status === 201 && result.data && result.data.token) {
        store.token = result.data.token;
        save();
        return true;
      }
      if (result.status >= 400 && result.status < 500 && result.status !== 429 && result.data) {
        stopWith(result.data.message || result.data.detail || "");
        return null;
      }
      return false;
    });
  }

  function stopWith(message) {
    store.sending = false;
    save();
    inflight = false;
    submitButton.disabled = false;
    setStatus("");
    showAlert(message);
  }

  function finish() {
    store.sending = false;
    store.done = true;
    store.answers = {};
    save();
    window.location.href = doneUrl;
  }

  function refused(data) {
    var errors = (data && data.errors) || [];
    var shown = false;
    var firstItem = null;
    errors.forEach(function (error) {
      var item = form.querySelector("[data-item][data-code=\"" + (error.field || "").replace(/"/g, "") + "\"]");
      if (error.field && item) {
        setError(item, error.message);
        shown = true;
        if (!firstItem) { firstItem = item; }
      }
    });
    var top = errors.filter(function (error) {
      return !error.field || !form.querySelector("[data-item][data-code=\"" + error.field.replace(/"/g, "") + "\"]");
    }).map(function (error) { return error.message; });
    stopWith(top.length ? top.join("；") : (shown ? texts.fix : (data && (data.message || data.detail)) || ""));
    if (firstItem) { firstItem.scrollIntoView({block: "center"}); }
  }

  function send() {
    if (inflight || !store.sending) { return; }
    if (!submitUrl) { HTMLFormElement.prototype.submit.call(form); return; }
    inflight = true;
    submitButton.disabled = true;
    setStatus(texts.sending);
    ensureToken().then(function (ready) {
      if (ready === null) { return null; }
      if (!ready) { offline(); return null; }
      var body = {answers: store.sent_answers || {}, started_at: store.started_at};
      if (store.token) { body.token = store.token; }
      return post(submitUrl, body).then(function (result) {
        inflight = false;
        if (result.status === 201 || result.status === 200) { finish(); return; }
        if (result.status === 400 || result.status === 409 || result.status === 403) {
          if (result.status === 403 && !(result.data && result.data.code)) {
            // A stale CSRF token (signed in again elsewhere): a reload gets a new one, the answers stay.
            stopWith(result.data && result.data.detail || "");
            return;
          }
          refused(result.data || {});
          return;
        }
        if (result.status === 429) { stopWith(result.data && (result.data.message || result.data.detail) || ""); return; }
        // A server error or a proxy's page: the answers stay on the phone and go again later.
        offline(texts.server_error);
      });
    }).catch(function () {
      // No answer at all: offline, or the connection dropped. Kept on the phone, sent again.
      offline();
    });
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.matches("input[type=text], input[type=number]")) { changed(event); }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (inflight) { return; }
    var answers = applySkips();
    showAlert("");
    var wrong = check(answers);
    if (wrong) {
      showAlert(texts.fix);
      wrong.scrollIntoView({block: "center"});
      return;
    }
    form.querySelector("[data-started]").value = store.started_at;
    store.sent_answers = answers;
    store.sending = true;
    save();
    retryDelay = RETRY_FIRST;
    send();
  });

  window.addEventListener("online", function () {
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    retryDelay = RETRY_FIRST;
    send();
  });

  // -- start -----------------------------------------------------------------------------------------
  if (store.done && mode !== "worker") {
    // This phone already sent its answers for this link: say so rather than start again.
    Array.prototype.forEach.call(form.querySelectorAll("[data-item], .submit-bar, .section-title"), function (element) {
      element.hidden = true;
    });
    showAlert(texts.answered, "ok");
    return;
  }
  items.forEach(function (item) {
    var code = codeOf(item);
    if (code in store.answers && readItem(item) === null) { writeItem(item, store.answers[code]); }
  });
  applySkips();
  save();
  if (store.sending) {
    send();
  } else {
    if (Object.keys(store.answers).length) { setStatus(texts.saved_here); }
    // Take the token while the phone is surely online (it just loaded this page).
    ensureToken().catch(function () { /* taken again before sending */ });
  }
})();
