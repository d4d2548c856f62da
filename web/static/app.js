// Lots chat page. The page works without this script: the ask form posts to /ask and comes
// back with the answer. With it, questions go over the websocket (web/PROTOCOL.md) and answers
// stream into the conversation log. Server text is only ever set with textContent. Voice (a
// spoken question, an answer read aloud) is offered when the server has speech engines, and
// nothing is recorded or played without a press of its button.
'use strict';

(() => {
  const STORAGE_KEY = 'lots.conversation';
  const PING_EVERY = 25000;
  const BACKOFF_FIRST = 1000;
  const BACKOFF_MAX = 30000;
  const ERROR_KEYS = {
    bad_request: 'error_bad_request',
    too_large: 'error_too_large',
    rate_limited: 'error_rate_limited',
    unavailable: 'error_unavailable',
  };
  // Recording formats the server decodes, best first; without any, the browser's own choice.
  const RECORDING_TYPES = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg', 'audio/wav'];
  const RECORDING_SLICE = 250;        // ms of audio per binary frame
  const RECORDING_MAX = 59500;        // the server takes 60 s; the last slice may run over a little
  const RECORDING_MAX_BYTES = 4 << 20; // and 4 MiB
  // The server reads aloud only the last answers of a connection (keptAnswers in web/voice.go).
  const SPEAKABLE_ANSWERS = 8;

  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const form = $('ask-form');
  const input = $('question');
  const sendButton = $('send');
  const statusLine = $('status');
  const formError = $('form-error');
  const announcer = $('announcer');
  const langForm = $('lang-form');
  const langSelect = $('lang-select');
  const micButton = $('mic');
  const micLabel = micButton.querySelector('.mic-label');

  const strings = parseStrings(document.body.dataset.strings);
  const t = (key) => strings[key] || key;
  const pageLang = document.body.dataset.lang || document.documentElement.lang;
  const pageDir = document.documentElement.dir || 'ltr';
  // Language names and directions come from the picker, so they live in one place (the server).
  const languages = new Map([...langSelect.options].map((o) => [o.value, { name: o.textContent.trim(), dir: o.dir || 'ltr' }]));
  const dirOf = (lang) => (languages.get(lang) || {}).dir || pageDir;

  let socket = null;
  let ready = false;      // the server has sent `ready` on this socket
  let everReady = false;  // some socket has: later `ready`s are reconnections
  let leaving = false;
  let attempts = 0;
  let reconnectTimer = 0;
  let pingTimer = 0;
  let pending = null;     // the question being answered: {id, text, questionItem, view}
  let viewCount = 0;
  const answers = new Map(); // answer_id → view
  const feedbackSent = new Map(); // feedback message id → view
  let voice = { hear: [], speak: [] }; // what the server can transcribe and speak (ready.voice)
  let recording = null;   // the spoken question being recorded: {id, recorder, release, socket, chain, bytes, timer, aborted}
  let transcribing = null; // the id of a recording sent, whose transcript is awaited
  let speaking = [];      // speak requests whose chunks are still coming: [{id, answerId, wanted, done}]
  let expectAudio = null; // the speech.chunk whose binary frame comes next
  let playback = null;    // the answer being read aloud: {request, view, audio, queue, playing, url}
  let speakable = [];     // views with a Listen button, oldest first
  let signedIn = false;   // the websocket was opened with a session: the own space is at hand
  let conversationId = null;
  const offers = new Map(); // handoff.accept/decline message id → offer view
  const saveRow = $('save-conversation-row');
  const saveButton = $('save-conversation');
  const saveStatus = $('save-conversation-status');

  function parseStrings(json) {
    try { return JSON.parse(json || '{}'); } catch { return {}; }
  }

  function newId() {
    return crypto.randomUUID ? crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // el builds an element; text is set with textContent, never parsed as HTML.
  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v != null) node.setAttribute(k, v);
    if (text != null) node.textContent = text;
    return node;
  }

  // chrome is interface text inside a message: it keeps the page's language and direction even
  // inside an answer in another language.
  function chrome(tag, className, text) {
    return el(tag, { class: className, lang: pageLang, dir: pageDir }, text);
  }

  function setMessageLang(node, lang) {
    node.lang = lang || pageLang;
    node.dir = lang ? dirOf(lang) : pageDir;
  }

  function setStatus(text) { statusLine.textContent = text; }

  function showError(text) { formError.textContent = text; }

  // announce says text once in the polite live region; emptying it first makes a repeated
  // message heard again.
  function announce(...parts) {
    announcer.textContent = '';
    setTimeout(() => announcer.append(...parts), 50);
  }

  function setBusy(busy) {
    sendButton.disabled = busy;
  }

  function storedConversation() {
    try { return sessionStorage.getItem(STORAGE_KEY); } catch { return null; }
  }

  function storeConversation(id) {
    try { sessionStorage.setItem(STORAGE_KEY, id); } catch { /* private mode: no resume */ }
  }

  // ---- Connection ----

  function connect() {
    clearTimeout(reconnectTimer);
    if (!everReady) setStatus(t('connecting'));
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    socket = ws;
    ws.binaryType = 'arraybuffer';
    ws.addEventListener('open', () => {
      const hello = { type: 'hello', language: pageLang };
      const conversation = storedConversation();
      if (conversation) hello.conversation = conversation;
      send(hello);
      pingTimer = setInterval(() => send({ type: 'ping' }), PING_EVERY);
    });
    ws.addEventListener('message', (e) => {
      if (typeof e.data !== 'string') { onAudio(e.data); return; }
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      onMessage(msg);
    });
    // 'error' is always followed by 'close', which does the work.
    ws.addEventListener('close', () => onClose(ws));
  }

  function onClose(ws) {
    if (ws !== socket) return;
    clearInterval(pingTimer);
    socket = null;
    ready = false;
    endVoice();
    if (leaving) return;
    if (pending) failPending(t('error_unavailable'));
    setStatus(t('offline'));
    // Exponential backoff with jitter, so a restarted server is not hit by everyone at once.
    const delay = Math.min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** attempts) * (0.5 + Math.random() / 2);
    attempts++;
    reconnectTimer = setTimeout(connect, delay);
  }

  function send(msg) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(msg));
    return true;
  }

  function onMessage(msg) {
    const view = answers.get(msg.answer_id);
    switch (msg.type) {
      case 'ready': return onReady(msg);
      case 'answer.start': return onStart(msg);
      case 'answer.delta':
        if (view) { view.text += msg.text || ''; renderText(view); }
        return;
      case 'answer.reset':
        if (view) { view.text = ''; renderText(view); }
        return;
      case 'answer.citations':
        if (view) { view.citations = msg.citations || []; renderSources(view); renderText(view); }
        return;
      case 'answer.done':
        if (!view) return;
        finish(view, msg.answered, msg.language, true);
        if (pending && pending.view === view) { pending = null; setBusy(false); }
        showSaveConversation();
        return;
      case 'feedback.saved':
        if (view && view.thanks) view.thanks.textContent = t('feedback_thanks');
        for (const [id, v] of feedbackSent) if (v === view) feedbackSent.delete(id);
        return;
      case 'voice.transcript': return onTranscript(msg);
      case 'speech.chunk': return onSpeechChunk(msg);
      case 'speech.done': return onSpeechDone(msg);
      case 'handoff.offer': return onOffer(msg);
      case 'handoff.created':
      case 'handoff.signin':
      case 'handoff.declined': return onOfferAnswered(msg);
      case 'error': return onError(msg);
      default: // pong, and anything newer than this page
    }
  }

  function onReady(msg) {
    const first = !everReady;
    ready = true;
    everReady = true;
    attempts = 0;
    if (msg.conversation) storeConversation(msg.conversation);
    conversationId = msg.conversation || null;
    signedIn = !!msg.signed_in;
    if (msg.resumed) showSaveConversation();
    setVoice(msg.voice);
    if (first) {
      setStatus('');
      // Earlier turns are drawn once per page: after a reconnection they are on screen already.
      if (msg.resumed && Array.isArray(msg.turns) && msg.turns.length) renderTurns(msg.turns);
    } else {
      setStatus(t('reconnected'));
      setTimeout(() => { if (ready && statusLine.textContent === t('reconnected')) setStatus(''); }, 5000);
    }
  }

  function onError(msg) {
    if (msg.id && onVoiceError(msg)) return;
    if (msg.id && offers.has(msg.id)) { onOfferError(msg); return; }
    showError(t(ERROR_KEYS[msg.code] || 'error_unavailable'));
    const fb = feedbackSent.get(msg.id);
    if (fb) {
      feedbackSent.delete(msg.id);
      for (const b of fb.buttons) b.setAttribute('aria-pressed', 'false');
      return;
    }
    // An error without an id (e.g. the conversation could not start) ends a question that has
    // not begun its answer; otherwise only the question it names.
    if (pending && (msg.id === pending.id || (!msg.id && !pending.view.answerId))) failPending();
  }

  // ---- Asking ----

  function ask(text) {
    showError('');
    const questionItem = questionElement(text, pageLang);
    const view = answerView(pageLang);
    log.append(questionItem, view.li);
    pending = { id: newId(), text, questionItem, view };
    setBusy(true);
    send({ type: 'ask', id: pending.id, text, language: pageLang });
    // The question goes to the top of the screen and the answer is read downwards from it; the
    // textarea keeps focus, and typing brings it back into view.
    questionItem.scrollIntoView({ block: 'start' });
  }

  // failPending gives up on the current question. If no answer text came, the question goes back
  // into the textarea to be sent again, rather than staying in the log unanswered.
  function failPending(message) {
    const { text, questionItem, view } = pending;
    pending = null;
    setBusy(false);
    if (message) showError(message);
    // The server keeps only finished answers: a broken one gets no feedback buttons, and
    // anything more that arrives for it is ignored.
    answers.delete(view.answerId);
    view.answerId = null;
    if (view.text) { finish(view, true, null, false); return; }
    questionItem.remove();
    view.li.remove();
    if (!input.value.trim()) input.value = text;
  }

  function onStart(msg) {
    let view;
    if (pending && pending.id === msg.id) {
      view = pending.view;
    } else { // an answer this page did not ask for (another tab's?): show it all the same
      view = answerView(pageLang);
      log.append(view.li);
    }
    view.answerId = msg.answer_id;
    view.socket = socket; // only this connection can read the answer aloud
    answers.set(msg.answer_id, view);
  }

  // ---- Rendering ----

  function questionElement(text, lang) {
    const li = el('li', { class: 'msg msg-user' });
    setMessageLang(li, lang);
    li.append(chrome('p', 'msg-who', t('you')), el('p', { class: 'msg-text', dir: 'auto' }, text));
    return li;
  }

  // answerView is an answer's element and state; it streams until finish.
  function answerView(lang) {
    const key = ++viewCount;
    const li = el('li', { class: 'msg msg-lots', 'aria-busy': 'true' });
    setMessageLang(li, lang);
    const textEl = el('div', { class: 'msg-text' });
    li.append(chrome('h3', 'msg-who', t('answer_heading')), textEl);
    const view = { key, li, textEl, text: '', citations: [], answerId: null, done: false, sources: null, thanks: null };
    renderText(view);
    return view;
  }

  const sourceId = (view, n) => `src-${view.key}-${n}`;

  // renderText redraws the answer's text; markers like [1] of known citations become links to
  // the source list below the answer (a footnote: the list item holds the real link).
  function renderText(view) {
    const { textEl, text } = view;
    textEl.textContent = '';
    if (!text && !view.done) {
      textEl.append(chrome('span', 'answering', t('answering')));
      return;
    }
    const known = new Set(view.citations.map((c) => c.n));
    let last = 0;
    for (const m of text.matchAll(/\[(\d+)\]/g)) {
      if (!known.has(Number(m[1]))) continue;
      textEl.append(text.slice(last, m.index), el('a', { class: 'cite', href: '#' + sourceId(view, m[1]) }, m[0]));
      last = m.index + m[0].length;
    }
    textEl.append(text.slice(last));
  }

  function safeURL(raw) {
    try {
      const u = new URL(raw, location.href);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch { return null; }
  }

  function renderSources(view) {
    if (view.sources) view.sources.forEach((n) => n.remove());
    view.sources = null;
    if (!view.citations.length) return;
    const list = chrome('ol', 'sources');
    for (const c of view.citations) {
      const item = el('li', { id: sourceId(view, c.n), tabindex: '-1' });
      const href = safeURL(c.url);
      const title = el('bdi', {}, c.title || c.url || '');
      const link = href ? el('a', { href, lang: c.language || null }) : el('span', { lang: c.language || null });
      link.append(title);
      item.append(el('span', { class: 'cite-n' }, `[${c.n}]`), ' ', link);
      if (c.agency) item.append(' — ', el('bdi', { lang: 'sv' }, c.agency));
      if (c.language && c.language !== pageLang && languages.has(c.language)) {
        item.append(' ', el('span', { class: 'cite-lang', lang: c.language }, `(${languages.get(c.language).name})`));
      }
      list.append(item);
    }
    view.sources = [chrome('h4', 'sources-heading', t('sources')), list];
    // Sources go right after the text, before a hint or the feedback buttons.
    view.textEl.after(...view.sources);
  }

  function finish(view, answered, language, announceIt) {
    view.done = true;
    view.li.removeAttribute('aria-busy');
    if (language) setMessageLang(view.li, language);
    renderText(view);
    if (answered === false) {
      view.li.classList.add('not-covered');
      view.li.append(chrome('p', 'hint', t('not_covered_hint')));
    }
    if (view.answerId && view.socket === socket && voice.speak.includes(view.li.lang)) view.li.append(listenRow(view));
    if (view.answerId) view.li.append(feedbackGroup(view));
    if (announceIt) {
      announce(t('answer_received') + ': ', el('span', { lang: view.li.lang }, firstSentence(view.text)));
    }
  }

  // firstSentence is what the live region reads of an answer, without citation markers. An
  // opening line that ends with a colon ("This is what Skatteverket says:") takes the next one.
  function firstSentence(text) {
    const parts = text.replace(/\s*\[\d+\]/g, '').split(/(?<=[.!?؟።])\s+|\n+/).map((s) => s.trim()).filter(Boolean);
    let s = parts[0] || '';
    if (/[:：፦]$/.test(s) && parts[1]) s += ' ' + parts[1];
    return s.length > 240 ? s.slice(0, 240) + '…' : s;
  }

  function feedbackGroup(view) {
    const labelId = `feedback-${view.key}`;
    const group = el('div', { class: 'feedback', role: 'group', 'aria-labelledby': labelId, lang: pageLang, dir: pageDir });
    group.append(el('p', { id: labelId, class: 'feedback-question' }, t('feedback_question')));
    const row = el('div', { class: 'feedback-row' });
    view.buttons = ['helpful', 'not_helpful'].map((rating) => {
      const b = el('button', { type: 'button', 'aria-pressed': 'false' }, t(rating));
      b.addEventListener('click', () => rate(view, rating, b));
      return b;
    });
    row.append(...view.buttons);
    view.thanks = el('p', { class: 'feedback-thanks', role: 'status' });
    group.append(row, view.thanks);
    return group;
  }

  function rate(view, rating, button) {
    // feedback carries an id so that an error about it is not taken for the pending question's.
    const id = newId();
    if (!send({ type: 'feedback', id, answer_id: view.answerId, rating })) {
      showError(t('error_unavailable'));
      return;
    }
    feedbackSent.set(id, view);
    for (const b of view.buttons) b.setAttribute('aria-pressed', String(b === button));
    view.thanks.textContent = '';
  }

  function renderTurns(turns) {
    const items = [];
    for (const turn of turns) {
      const view = answerView(turn.language);
      view.answerId = turn.answer_id || null;
      view.text = turn.answer || '';
      view.citations = turn.citations || [];
      if (view.answerId) answers.set(view.answerId, view);
      items.push(questionElement(turn.question || '', turn.language), view.li);
      renderSources(view);
      finish(view, turn.answered, turn.language, false);
    }
    // Before anything already on the page (an answer rendered by the server).
    log.prepend(...items);
  }

  // ---- Voice: a spoken question ----

  const canRecord = () => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);

  function setVoice(v) {
    voice = {
      hear: Array.isArray(v && v.hear) ? v.hear : [],
      speak: Array.isArray(v && v.speak) ? v.speak : [],
    };
    micButton.hidden = !(canRecord() && voice.hear.includes(pageLang));
  }

  function setRecordingUI(on) {
    micButton.setAttribute('aria-pressed', String(on));
    micLabel.textContent = t(on ? 'voice_stop_recording' : 'voice_record');
  }

  micButton.addEventListener('click', () => {
    if (recording) stopRecording();
    else startRecording();
  });

  // startRecording asks for the microphone — only here, on the person's press — and streams
  // the recording to the server as it is made.
  async function startRecording() {
    if (micButton.dataset.starting) return;
    showError('');
    if (!ready) { showError(t('error_unavailable')); return; }
    micButton.dataset.starting = 'true';
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      showError(t('voice_mic_denied'));
      return;
    } finally {
      delete micButton.dataset.starting;
    }
    const release = () => stream.getTracks().forEach((track) => track.stop());
    if (!ready) { release(); showError(t('error_unavailable')); return; }
    let recorder;
    try {
      const mimeType = RECORDING_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
      recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    } catch {
      release();
      showError(t('voice_unavailable'));
      return;
    }
    const rec = { id: newId(), recorder, stream, release, socket, chain: Promise.resolve(), bytes: 0, timer: 0, aborted: false };
    recording = rec;
    transcribing = null;
    send({ type: 'voice.start', id: rec.id, language: pageLang });
    recorder.addEventListener('dataavailable', (e) => {
      if (!e.data || !e.data.size) return;
      rec.bytes += e.data.size;
      sendVoice(rec, e.data);
      if (rec.bytes >= RECORDING_MAX_BYTES - 64 * 1024 && recording === rec) stopRecording();
    });
    recorder.addEventListener('stop', () => recordingStopped(rec));
    recorder.addEventListener('error', () => { rec.aborted = true; stopRecording(); showError(t('voice_unavailable')); });
    recorder.start(RECORDING_SLICE);
    rec.timer = setTimeout(() => { if (recording === rec) stopRecording(); }, RECORDING_MAX);
    setRecordingUI(true);
    setStatus(t('voice_listening'));
  }

  // sendVoice sends a piece of the recording, or a message about it, after the pieces before
  // it: a Blob is read before it is sent, and the order on the socket must stay the order made.
  function sendVoice(rec, item) {
    rec.chain = rec.chain.then(async () => {
      const data = item instanceof Blob ? await item.arrayBuffer() : JSON.stringify(item);
      // A reconnected socket never gets the rest of a recording begun on another.
      if (rec.aborted || rec.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
      socket.send(data);
    }).catch(() => { rec.aborted = true; });
  }

  function stopRecording() {
    const rec = recording;
    if (!rec) return;
    clearTimeout(rec.timer);
    if (rec.recorder.state !== 'inactive') rec.recorder.stop(); // the last slice comes, then 'stop'
    else recordingStopped(rec);
  }

  // recordingStopped releases the microphone and, unless the recording was abandoned, says it
  // is complete and waits for what the server heard.
  function recordingStopped(rec) {
    if (recording !== rec) return;
    recording = null;
    clearTimeout(rec.timer);
    rec.release();
    setRecordingUI(false);
    if (rec.aborted) { if (ready) setStatus(''); return; }
    sendVoice(rec, { type: 'voice.end', id: rec.id });
    transcribing = rec.id;
    setStatus(t('voice_transcribing'));
  }

  function onTranscript(msg) {
    if (!msg.id || msg.id !== transcribing) return;
    transcribing = null;
    setStatus('');
    const text = (msg.text || '').trim();
    if (!text) { showError(t('voice_not_heard')); return; }
    // The person checks and edits what was heard, then sends it as a typed question.
    input.value = text;
    input.focus();
    input.setSelectionRange(text.length, text.length);
    announce(t('voice_transcript_ready') + ' ', el('span', { lang: msg.language || pageLang, dir: 'auto' }, text));
  }

  // voiceErrorText is the message for an error about a recording or a reading aloud: the
  // server's no_voice message is in the asker's language already.
  function voiceErrorText(msg) {
    switch (msg.code) {
      case 'no_voice': return msg.message || t('voice_unavailable');
      case 'not_heard': return msg.message || t('voice_not_heard');
      case 'too_large': return t('error_too_large');
      default: return t(ERROR_KEYS[msg.code] || 'error_unavailable');
    }
  }

  // onVoiceError handles an error about a recording or a speak request; false for others.
  function onVoiceError(msg) {
    if (recording && recording.id === msg.id) {
      recording.aborted = true;
      stopRecording();
    } else if (transcribing === msg.id) {
      transcribing = null;
      setStatus('');
    } else {
      const request = speaking.find((r) => r.id === msg.id);
      if (!request) return false;
      speaking = speaking.filter((r) => r !== request);
      if (playback && playback.request === request) stopPlayback();
    }
    showError(voiceErrorText(msg));
    return true;
  }

  // endVoice abandons what the closed socket was doing: the recording, the awaited transcript,
  // and the sentences still to come (those already here play on).
  function endVoice() {
    if (recording) { recording.aborted = true; stopRecording(); }
    transcribing = null;
    expectAudio = null;
    for (const r of speaking) r.done = true;
    speaking = [];
    if (playback) { playback.request.done = true; if (!playback.playing) stopPlayback(); }
    // A new connection cannot read the old one's answers.
    for (const v of speakable) if (v !== (playback && playback.view)) removeListen(v);
    speakable = playback ? [playback.view] : [];
  }

  // ---- Voice: an answer read aloud ----

  function icon(name) {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
    use.setAttribute('href', '#i-' + name);
    svg.append(use);
    return svg;
  }

  function listenRow(view) {
    const row = el('div', { class: 'listen-row', lang: pageLang, dir: pageDir });
    const button = el('button', { type: 'button', class: 'listen' });
    view.listen = button;
    view.listenRow = row;
    speakable.push(view);
    while (speakable.length > SPEAKABLE_ANSWERS) removeListen(speakable.shift());
    view.li.dataset.speechChunks = '0';
    view.li.dataset.speechPlayed = '0';
    setListenUI(view, false);
    button.addEventListener('click', () => {
      if (playback && playback.view === view) stopPlayback();
      else listen(view);
    });
    row.append(button);
    return row;
  }

  function removeListen(view) {
    if (playback && playback.view === view) stopPlayback();
    if (view.listenRow) view.listenRow.remove();
    view.listen = view.listenRow = null;
    speakable = speakable.filter((v) => v !== view);
  }

  function setListenUI(view, playing) {
    const b = view.listen;
    if (!b) return;
    b.textContent = '';
    b.append(icon(playing ? 'stop' : 'speaker'), el('span', {}, t(playing ? 'stop_listening' : 'listen')));
    b.classList.toggle('playing', playing);
  }

  // listen asks the server to read the answer aloud; the sentences play as they come.
  function listen(view) {
    stopPlayback();
    showError('');
    const request = { id: newId(), answerId: view.answerId, wanted: true, done: false };
    if (!send({ type: 'speak', id: request.id, answer_id: view.answerId })) {
      showError(t('error_unavailable'));
      return;
    }
    speaking.push(request);
    // Made on the press, so that the browser counts the playing as the person's doing.
    const audio = new Audio();
    const pb = { request, view, audio, queue: [], playing: false, url: null };
    audio.addEventListener('playing', () => {
      view.li.dataset.speechPlayed = String(Number(view.li.dataset.speechPlayed || 0) + 1);
    });
    audio.addEventListener('ended', () => playNext(pb));
    audio.addEventListener('error', () => { if (pb.url) playNext(pb); });
    playback = pb;
    setListenUI(view, true);
  }

  // The server sends a speak request's messages in order and one request after another, so a
  // chunk or done for an answer belongs to its oldest unfinished request.
  const requestFor = (answerId) => speaking.find((r) => r.answerId === answerId);

  function onSpeechChunk(msg) {
    expectAudio = { request: requestFor(msg.answer_id), n: msg.n };
    const view = answers.get(msg.answer_id);
    if (view) view.li.dataset.speechChunks = String(Number(view.li.dataset.speechChunks || 0) + 1);
  }

  // onAudio takes the binary frame that follows a speech.chunk: a sentence as a WAV file.
  function onAudio(data) {
    const chunk = expectAudio;
    expectAudio = null;
    if (!chunk || !chunk.request || !chunk.request.wanted) return; // stopped: dropped
    const pb = playback;
    if (!pb || pb.request !== chunk.request) return;
    pb.queue.push(new Blob([data], { type: 'audio/wav' }));
    if (!pb.playing) playNext(pb);
  }

  function onSpeechDone(msg) {
    const request = requestFor(msg.answer_id);
    if (!request) return;
    request.done = true;
    speaking = speaking.filter((r) => r !== request);
    if (playback && playback.request === request && !playback.playing) stopPlayback();
  }

  // playNext plays the next sentence that has come, or ends when all have been played.
  function playNext(pb) {
    if (playback !== pb) return;
    if (pb.url) { URL.revokeObjectURL(pb.url); pb.url = null; }
    const next = pb.queue.shift();
    if (!next) {
      pb.playing = false;
      if (pb.request.done) stopPlayback();
      return;
    }
    pb.playing = true;
    pb.url = URL.createObjectURL(next);
    pb.audio.src = pb.url;
    pb.audio.play().catch(() => { if (playback === pb) stopPlayback(); });
  }

  // stopPlayback stops the sound, forgets the sentences waiting, and drops those yet to come.
  function stopPlayback() {
    const pb = playback;
    if (!pb) return;
    playback = null;
    pb.request.wanted = false;
    pb.queue = [];
    pb.audio.pause();
    pb.audio.removeAttribute('src');
    if (pb.url) { URL.revokeObjectURL(pb.url); pb.url = null; }
    setListenUI(pb.view, false);
    // An answer of a closed connection keeps its button only while it plays.
    if (pb.view.socket !== socket && pb.view.listen) removeListen(pb.view);
  }

  // ---- The own space: an offer to start a process, and saving the conversation ----

  // fill puts the arguments into a string's %s verbs, in order.
  function fill(text, ...args) {
    let i = 0;
    return text.replace(/%[sd]/g, () => String(args[i++] ?? ''));
  }

  // onOffer shows an offer to prepare a process in the person's space: what would be stored,
  // the details they already gave as checkboxes (unticked: nothing is kept unless ticked), and
  // an explicit yes or no. Nothing is sent to the server before a button is pressed.
  function onOffer(msg) {
    const key = ++viewCount;
    const lang = msg.language || pageLang;
    const li = el('li', { class: 'msg msg-offer', lang: pageLang, dir: pageDir });
    const headingId = `offer-${key}-heading`;
    const form = el('form', { class: 'offer-form', 'aria-labelledby': headingId });
    li.append(el('h3', { class: 'msg-who', id: headingId }, t('offer_heading')));
    li.append(el('p', { class: 'offer-reason', lang, dir: dirOf(lang) }, msg.reason || ''));
    li.append(el('p', {}, fill(t('offer_intro'), msg.title || '', msg.agency || '')));
    const boxes = [];
    const proposals = Array.isArray(msg.proposals) ? msg.proposals : [];
    if (proposals.length) {
      const set = el('fieldset', { class: 'offer-fields' });
      set.append(el('legend', {}, t('offer_fields_legend')));
      proposals.forEach((p, i) => {
        const id = `offer-${key}-f${i}`;
        const box = el('input', { type: 'checkbox', id, value: p.value });
        box.dataset.field = p.field;
        const label = el('label', { for: id });
        label.append(el('span', { class: 'offer-field' }, `${p.label}: `), el('bdi', { dir: 'auto' }, p.shown || p.value));
        if (p.source) label.append(' ', el('span', { class: 'offer-source' }, `(${fill(t('offer_source'), p.source)})`));
        const row = el('div', { class: 'choice' });
        row.append(box, label);
        set.append(row);
        boxes.push(box);
      });
      form.append(set);
    }
    form.append(el('p', { class: 'offer-stores' }, t('offer_stores')));
    const accept = el('button', { type: 'submit', class: 'primary' }, t('offer_accept'));
    const decline = el('button', { type: 'button' }, t('offer_decline'));
    const row = el('div', { class: 'offer-row' });
    row.append(accept, decline);
    const result = el('p', { class: 'offer-result', role: 'status' });
    form.append(row, result);
    li.append(form);
    log.append(li);
    const offer = { process: msg.process, lang, li, form, boxes, buttons: [accept, decline], result };
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const fields = {};
      for (const b of boxes) if (b.checked) fields[b.dataset.field] = b.value;
      answerOffer(offer, { type: 'handoff.accept', process: offer.process, fields, language: offer.lang });
    });
    decline.addEventListener('click', () => answerOffer(offer, { type: 'handoff.decline', process: offer.process }));
  }

  function answerOffer(offer, msg) {
    const id = newId();
    if (!send({ ...msg, id })) { offer.result.textContent = t('error_unavailable'); return; }
    offers.set(id, offer);
    for (const b of offer.buttons) b.disabled = true;
    offer.result.textContent = '';
  }

  function onOfferAnswered(msg) {
    const offer = offers.get(msg.id);
    if (!offer) return;
    offers.delete(msg.id);
    offer.result.textContent = '';
    for (const b of offer.boxes) b.disabled = true;
    offer.buttons.forEach((b) => b.remove());
    const url = safeURL(msg.url);
    if (msg.type === 'handoff.created') {
      offer.result.append(t('offer_created') + ' ');
      if (url) offer.result.append(el('a', { href: url, class: 'offer-link' }, t('offer_open')));
    } else if (msg.type === 'handoff.signin') {
      offer.result.append(t('offer_signin') + ' ');
      if (url) offer.result.append(el('a', { href: url, class: 'offer-link' }, t('offer_signin_link')));
    } else {
      offer.result.textContent = t('offer_declined');
    }
  }

  function onOfferError(msg) {
    const offer = offers.get(msg.id);
    offers.delete(msg.id);
    for (const b of offer.buttons) b.disabled = false;
    offer.result.textContent = msg.code === 'invalid_field' && msg.message ? msg.message : t(ERROR_KEYS[msg.code] || 'error_unavailable');
  }

  // The button to keep the conversation in the person's space shows once it has an answer.
  function showSaveConversation() {
    if (!signedIn || !conversationId || !saveRow) return;
    saveRow.hidden = false;
  }

  if (saveButton) {
    saveButton.addEventListener('click', async () => {
      if (!conversationId) return;
      saveButton.disabled = true;
      saveStatus.textContent = '';
      const csrf = form.querySelector('input[name=csrf]').value;
      try {
        const resp = await fetch(`/space/conversations/${encodeURIComponent(conversationId)}/save`, {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf, lang: pageLang }),
        });
        if (!resp.ok) throw new Error(String(resp.status));
        saveStatus.textContent = t('conversation_saved');
      } catch {
        saveButton.disabled = false;
        saveStatus.textContent = t('error_unavailable');
      }
    });
  }

  // ---- Controls ----

  form.addEventListener('submit', (e) => {
    if (!ready) return; // not connected: let the browser post the form, the no-JavaScript way
    e.preventDefault();
    const text = input.value.trim();
    if (!text || pending) return;
    ask(text);
    input.value = '';
    input.focus();
  });

  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; an input method composing text keeps its Enter.
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
    e.preventDefault();
    sendButton.click(); // validates the form, and does nothing while the button is disabled
  });

  const hint = $('enter-hint');
  hint.hidden = false;
  input.setAttribute('aria-describedby', hint.id);

  // Picking a language with a pointer or touch loads the page in it at once. Keyboard users
  // confirm with Enter or the button: arrow keys change a closed select in some browsers, and
  // leaving the page on each of them would be an unexpected change of context (WCAG 3.2.2).
  let keyed = false;
  const switchLanguage = () => { if (langSelect.value !== pageLang) langForm.submit(); };
  langSelect.addEventListener('pointerdown', () => { keyed = false; });
  langSelect.addEventListener('keydown', (e) => {
    keyed = true;
    // After this event, so that an Enter that picks an option in an open list counts it.
    if (e.key === 'Enter') setTimeout(switchLanguage);
  });
  langSelect.addEventListener('change', () => { if (!keyed) switchLanguage(); });

  window.addEventListener('online', () => { if (!socket) connect(); });
  window.addEventListener('pagehide', () => { leaving = true; });
  window.addEventListener('pageshow', (e) => {
    leaving = false;
    if (e.persisted && !socket) connect(); // back from the back/forward cache
  });

  connect();
})();
