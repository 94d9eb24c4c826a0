"""The study client's files: the service worker (its headers, and its caching rules run in Node
against a fake cache and network), the web app manifest and the icon we draw ourselves."""

from __future__ import annotations

import json
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from learning.study_views import icon_png, study_texts

# The worker's source is run as a browser would (self, caches, fetch), with both faked: each case
# prints what the worker answered and which copies it kept.
HARNESS = r"""
const vm = require("vm");
const source = require("fs").readFileSync(0, "utf8");
const stores = {"courses-old": new Map()};
let online = true;
const fetched = [];
function response(url, status, extra) {
  return Object.assign({url, ok: status < 300, status, type: "basic", redirected: false,
    headers: {get: (name) => (extra && extra[name]) || null}, clone() { return this; }, body: "net:" + url}, extra || {});
}
const caches = {
  open: async (name) => {
    if (!stores[name]) stores[name] = new Map();
    const store = stores[name];
    return {match: async (r) => store.get(r.url || r), put: async (r, v) => { store.set(r.url || r, v); }};
  },
  match: async (r) => { for (const s of Object.values(stores)) { if (s.has(r.url)) return s.get(r.url); } },
  keys: async () => Object.keys(stores),
  delete: async (name) => delete stores[name],
};
const listeners = {};
const self = {location: {origin: "https://x.test", href: "https://x.test/courses/sw.js"},
  addEventListener: (type, fn) => { listeners[type] = fn; }, skipWaiting() {}, clients: {claim: async () => {}}};
async function fetchFake(request) {
  const url = request.url || request;
  fetched.push(url);
  if (!online) throw new TypeError("offline");
  if (url.endsWith("/login-redirect/")) return response(url, 200, {redirected: true});
  if (url.endsWith("/private/")) return response(url, 200, {"Cache-Control": "no-store"});
  return response(url, 200);
}
class FakeResponse { constructor(body, init) { this.body = body; this.status = init.status; this.headers = init.headers; } }
FakeResponse.error = () => ({status: 0, error: true});
vm.runInNewContext(source, {self, caches, fetch: fetchFake, Response: FakeResponse, URL, Promise, Array, console});
async function ask(method, path, mode) {
  let answer = "network";
  const event = {request: {method, url: "https://x.test" + path, mode: mode || "cors"},
    respondWith: (p) => { answer = p; }};
  listeners.fetch(event);
  if (answer === "network") return "untouched";
  const got = await answer;
  await new Promise((r) => setTimeout(r, 0));
  return got.error ? "error" : got.status === 503 ? "offline-page:" + got.body.includes("<html") : got.body;
}
(async () => {
  const out = {};
  let done; const waited = new Promise((r) => { done = r; });
  listeners.activate({waitUntil: (p) => p.then(done)});
  await waited;
  out.caches_after_activate = Object.keys(stores);
  out.api_get = await ask("GET", "/api/v1/learning/heartbeats/");
  out.api_post = await ask("POST", "/api/v1/learning/heartbeats/");
  out.lesson_post = await ask("POST", "/courses/c/l/check/");
  out.other_page = await ask("GET", "/exams/");
  out.lesson_online = await ask("GET", "/courses/c/l/", "navigate");
  out.static_first = await ask("GET", "/static/learning/study.js");
  out.redirect_online = await ask("GET", "/courses/login-redirect/", "navigate");
  out.private_online = await ask("GET", "/courses/private/", "navigate");
  online = false;
  fetched.length = 0;
  out.lesson_offline = await ask("GET", "/courses/c/l/", "navigate");
  out.static_offline = await ask("GET", "/static/learning/study.js");
  out.unseen_offline = await ask("GET", "/courses/c/never/", "navigate");
  out.redirect_offline = await ask("GET", "/courses/login-redirect/", "navigate");
  out.private_offline = await ask("GET", "/courses/private/", "navigate");
  out.unseen_image_offline = await ask("GET", "/courses/c/never.png");
  out.fetched_offline = fetched.slice();
  console.log(JSON.stringify(out));
})();
"""


def test_the_service_worker_is_served_for_its_scope(client: Client) -> None:
    response = client.get("/courses/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/courses/"
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    assert "{{" not in source and "{%" not in source
    assert 'var CACHE = "courses-' in source
    assert client.post("/courses/sw.js").status_code == 405


@pytest.mark.skipif(shutil.which("node") is None, reason="Node is needed to run the worker's source")
def test_the_service_worker_keeps_lessons_and_static_files_and_never_the_api(client: Client) -> None:
    source = client.get("/courses/sw.js").content
    run = subprocess.run(["node", "-e", HARNESS], input=source, capture_output=True, timeout=60, check=True)  # noqa: S603, S607
    seen = json.loads(run.stdout)
    # An older version's copies are dropped when this one takes over.
    assert seen["caches_after_activate"] == []
    # The API, anything but GET and pages outside the courses are left to the network.
    assert seen["api_get"] == seen["api_post"] == seen["lesson_post"] == seen["other_page"] == "untouched"
    assert seen["lesson_online"] == "net:https://x.test/courses/c/l/"
    # Offline: the lesson and the static file from their copies, without asking the network for
    # the static file; a page never opened gets the offline page; a redirect or a no-store page
    # was never kept.
    assert seen["lesson_offline"] == "net:https://x.test/courses/c/l/"
    assert seen["static_offline"] == "net:https://x.test/static/learning/study.js"
    assert "https://x.test/static/learning/study.js" not in seen["fetched_offline"]
    assert seen["unseen_offline"] == seen["redirect_offline"] == seen["private_offline"] == "offline-page:true"
    assert seen["unseen_image_offline"] == "error"


def test_the_manifest_names_the_app_and_its_icon(client: Client) -> None:
    response = client.get("/courses/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == manifest["scope"] == "/courses/"
    assert manifest["display"] == "standalone" and manifest["name"] and manifest["short_name"]
    assert manifest["icons"][0] == {"src": "/static/learning/icon.svg", "sizes": "any", "type": "image/svg+xml",
                                    "purpose": "any"}
    icon = finders.find("learning/icon.svg")
    assert icon and "<svg" in Path(icon).read_text(encoding="utf-8")


@pytest.mark.parametrize("size", [192, 512])
def test_the_png_icon_is_drawn_at_its_size(size: int) -> None:
    image = Image.open(BytesIO(icon_png(size)))
    assert image.format == "PNG" and image.size == (size, size)
    assert image.getpixel((size // 2, size - 4))[:3] == (11, 107, 58)  # the site's green


def test_the_page_texts_are_all_there() -> None:
    texts = study_texts()
    assert set(texts) == {"counted", "done", "offline", "sending", "other_device", "no_skip", "idle", "signed_out"}
    assert "%(credited)s" in texts["counted"] and "%(required)s" in texts["counted"]
