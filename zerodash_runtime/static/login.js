/*
 * ZeroDash "login": a tab whose load-balancer login expired reloads into the login instead of freezing.
 *
 * Only on apps the ALB authenticates (LOGIN_REQUIRED=1). Once the ALB's session cookie has expired, the ALB answers
 * every request with a 302 to the identity provider (401 when the rule denies instead of redirecting). Dash's
 * callbacks are fetch POSTs: fetch follows the 302 to the IdP's origin, which sends no CORS headers, so the
 * callback fails with a TypeError and the page stops updating, silently.
 *
 * So: when a same-origin request fails with a TypeError or answers 401, ask the page's own URL again without
 * following redirects. An opaque redirect (or a 401) there means the login is gone: reload, and the ALB takes the
 * tab through the login and back to this URL. Any other answer (or none) is a network blip: nothing to do.
 * At most one reload per RELOAD_GAP_MS, remembered across the reload, so a login that does not stick
 * (a broken IdP, cookies refused) cannot loop. Loaded before Dash's renderer, so its requests go through here.
 */
(function () {
  'use strict';
  var RELOAD_GAP_MS = 30000;
  var LAST_RELOAD = 'zerodash:login-reload';
  var send = window.fetch.bind(window);
  var probing = false;

  function sameOrigin(input) {
    var url = typeof input === 'string' ? input : (input && input.url) || String(input);
    try {
      return new URL(url, location.href).origin === location.origin;
    } catch (error) {
      return false;
    }
  }

  // A storage that cannot be read or written (blocked in a frame) means no reload: never a loop.
  function mayReload() {
    try {
      var last = Number(sessionStorage.getItem(LAST_RELOAD) || 0);
      var now = Date.now();
      if (now - last >= 0 && now - last < RELOAD_GAP_MS) return false;
      sessionStorage.setItem(LAST_RELOAD, String(now));
      return true;
    } catch (error) {
      return false;
    }
  }

  function loginExpired(response) {
    return response.type === 'opaqueredirect' || response.status === 401;
  }

  function checkLogin() {
    if (probing) return;
    probing = true;
    send(location.href, {redirect: 'manual', cache: 'no-store', credentials: 'same-origin'})
      .then(function (response) {
        if (loginExpired(response) && mayReload()) location.reload();
      }, function () { /* offline: nothing to learn */ })
      .then(function () { probing = false; });
  }

  window.fetch = function (input, init) {
    var sent = send(input, init);
    if (!sameOrigin(input)) return sent;
    return sent.then(function (response) {
      if (response.status === 401) checkLogin();
      return response;
    }, function (error) {
      if (error instanceof TypeError) checkLogin();  // an AbortError is the page's own doing
      throw error;
    });
  };
})();
