// Passkeys for the sign-in and account pages: the WebAuthn ceremonies in the browser. The
// server keeps each ceremony's state; this script only carries the options to the authenticator
// and its answer back, with the CSRF token in a header. Messages come translated from the page.
'use strict';

(() => {
  const panel = document.getElementById('passkey-panel');
  const print = document.getElementById('print-codes');
  if (print) {
    print.hidden = false;
    print.addEventListener('click', () => window.print());
  }
  if (!panel) return;

  const status = document.getElementById('passkey-status');
  const working = document.getElementById('passkey-working');
  const buttons = Array.from(document.querySelectorAll('[data-passkey]'));
  const endpoints = {
    create: '/signin/passkey/create/',
    login: '/signin/passkey/login/',
    add: '/account/passkeys/',
  };

  // Both live regions stay in the page, empty until there is something to announce.
  const say = (key) => {
    status.textContent = panel.dataset[key] || panel.dataset.msgFailed;
  };

  if (!window.PublicKeyCredential || !navigator.credentials) {
    if (buttons.length) say('msgUnsupported');
    return;
  }
  for (const b of buttons) b.disabled = false;

  // base64url <-> ArrayBuffer, as the server's JSON carries binary fields.
  const decode = (s) => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  };
  const encode = (buf) => {
    if (!buf) return undefined;
    let s = '';
    for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  class CeremonyError extends Error {
    constructor(code) {
      super(code);
      this.code = code;
    }
  }

  const post = async (url, body) => {
    const res = await fetch(url + '?lang=' + encodeURIComponent(panel.dataset.lang), {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': panel.dataset.csrf},
      body: JSON.stringify(body),
    });
    let data = {};
    try {
      data = await res.json();
    } catch (e) {
      // not JSON: a proxy's error page
    }
    if (!res.ok) throw new CeremonyError(data.code || 'failed');
    return data;
  };

  const creationOptions = (o) => {
    const pk = o.publicKey;
    pk.challenge = decode(pk.challenge);
    pk.user.id = decode(pk.user.id);
    for (const c of pk.excludeCredentials || []) c.id = decode(c.id);
    return {publicKey: pk};
  };

  const requestOptions = (o) => {
    const pk = o.publicKey;
    pk.challenge = decode(pk.challenge);
    for (const c of pk.allowCredentials || []) c.id = decode(c.id);
    return {publicKey: pk};
  };

  const credentialJSON = (cred) => {
    const r = cred.response;
    const out = {
      id: cred.id,
      rawId: encode(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: {clientDataJSON: encode(r.clientDataJSON)},
    };
    if (r.attestationObject) {
      out.response.attestationObject = encode(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = encode(r.authenticatorData);
      out.response.signature = encode(r.signature);
      out.response.userHandle = encode(r.userHandle);
    }
    return out;
  };

  const run = async (mode) => {
    const base = endpoints[mode];
    const begun = await post(base + 'begin', {language: panel.dataset.lang, next: panel.dataset.next || ''});
    const cred = mode === 'login'
      ? await navigator.credentials.get(requestOptions(begun.options))
      : await navigator.credentials.create(creationOptions(begun.options));
    if (!cred) throw new CeremonyError('cancelled');
    const done = await post(base + 'finish', credentialJSON(cred));
    window.location.assign(done.redirect);
  };

  for (const button of buttons) {
    button.addEventListener('click', async () => {
      status.textContent = '';
      working.textContent = panel.dataset.msgWorking;
      for (const b of buttons) b.disabled = true;
      try {
        await run(button.dataset.passkey);
      } catch (err) {
        working.textContent = '';
        for (const b of buttons) b.disabled = false;
        if (err && (err.name === 'NotAllowedError' || err.name === 'AbortError' || err.code === 'cancelled')) {
          say('msgCancelled');
        } else if (err && err.code === 'expired') {
          say('msgExpired');
        } else if (err && err.code === 'rate_limited') {
          say('msgRate');
        } else {
          say('msgFailed');
        }
        button.focus();
      }
    });
  }
})();
