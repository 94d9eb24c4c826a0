/* The courses' service worker (scope /courses/), served by learning.study_views.service_worker.
 * Lessons and course pages: network first, the copy last seen when offline, so a lesson once
 * opened reads without a connection. Static files: from the cache once seen (their names change
 * with their content in production). Never the API, never anything but GET: study time is only
 * ever what the server answered.
 */
"use strict";

var CACHE = "courses-{{ version }}";
var OFFLINE_PAGE = {{ offline_page }};

self.addEventListener("install", function () { self.skipWaiting(); });

self.addEventListener("activate", function (event) {
  // Copies made by an older version of this worker go: their pages may need files that changed.
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("courses-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function kind(url) {
  if (url.origin !== self.location.origin) { return ""; }
  if (url.pathname.indexOf("/static/") === 0) { return "static"; }
  if (url.pathname.indexOf("/courses/") === 0 && url.pathname !== "/courses/sw.js") { return "page"; }
  return "";
}

function keep(response) {
  // A redirect (to the login page), an error or a page that asks not to be stored is not a copy
  // of the lesson to show later.
  return response.ok && response.type === "basic" && !response.redirected &&
    !/no-store/.test(response.headers.get("Cache-Control") || "");
}

function fromCacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (keep(response)) { cache.put(request, response.clone()); }
        return response;
      });
    });
  });
}

function fromNetworkFirst(request) {
  return fetch(request).then(function (response) {
    if (keep(response)) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(request, {ignoreVary: true}).then(function (hit) {
      if (hit) { return hit; }
      if (request.mode !== "navigate") { return Response.error(); }
      return new Response(OFFLINE_PAGE, {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var found = kind(new URL(request.url));
  if (found === "static") { event.respondWith(fromCacheFirst(request)); }
  else if (found === "page") { event.respondWith(fromNetworkFirst(request)); }
  // Anything else (the API above all) goes to the network untouched.
});

// The first page that registers this worker was fetched before it existed: the page names itself
// and its files, so that page too reads offline.
self.addEventListener("message", function (event) {
  var urls = event.data && event.data.cache;
  if (!Array.isArray(urls)) { return; }
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(urls.slice(0, 20).map(function (address) {
      var url = new URL(address, self.location.href);
      if (!kind(url)) { return null; }
      return fetch(url.href, {credentials: "same-origin"}).then(function (response) {
        return keep(response) ? cache.put(url.href, response) : null;
      }).catch(function () { return null; });
    }));
  }));
});
