/*
 * ZeroDash "attention": while nobody looks at the page, answer its own Dash callback requests here with
 * 204 (Dash's "no update") instead of sending them. A tab left open with a dcc.Interval then stops
 * reaching the load balancer, its request count falls to zero and the app can go to sleep.
 *
 * Nobody looks = the tab is hidden, or no pointer, key, touch, scroll or wheel input for `idle` seconds
 * (this script's URL carries ?idle=SECONDS). Any input, or the tab becoming visible, resumes at once.
 * Loaded before Dash's renderer, so every callback request goes through the wrapped fetch.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var idleMs = 1000 * Number(new URL(script.src, location.href).searchParams.get('idle') || 300);
  var lastInput = Date.now();
  // A tab opened in the background never ran its first callbacks: reload it when it is first shown.
  var skippedBeforeShown = false;
  var everShown = !document.hidden;

  function noteInput() { lastInput = Date.now(); }
  ['pointerdown', 'pointermove', 'keydown', 'touchstart', 'scroll', 'wheel'].forEach(function (type) {
    window.addEventListener(type, noteInput, {capture: true, passive: true});
  });
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) return;
    noteInput();
    if (skippedBeforeShown && !everShown) { location.reload(); }
    everShown = true;
  });

  function attended() {
    return !document.hidden && Date.now() - lastInput < idleMs;
  }

  function isCallback(input, init) {
    var url = typeof input === 'string' ? input : (input && input.url) || String(input);
    var method = (init && init.method) || (input && input.method) || 'GET';
    return method.toUpperCase() === 'POST' && url.indexOf('_dash-update-component') !== -1;
  }

  var send = window.fetch.bind(window);
  window.fetch = function (input, init) {
    if (isCallback(input, init) && !attended()) {
      if (!everShown) skippedBeforeShown = true;
      return Promise.resolve(new Response(null, {status: 204}));
    }
    return send(input, init);
  };
})();
