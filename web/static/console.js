// The stewards' console: while a source is being crawled, its page asks the console's API for the
// crawl's progress and shows it; when the crawl ends, the page reloads to show what it found.
// Without JavaScript the page refreshes itself instead (a <noscript> meta refresh).
'use strict';

(function () {
  const crawl = document.getElementById('crawl');
  if (!crawl || crawl.dataset.crawling !== 'true') {
    return;
  }
  const every = Math.max(1, Number(crawl.dataset.refresh) || 5) * 1000;
  const progress = document.getElementById('crawl-progress');
  const bar = document.getElementById('crawl-bar');

  async function poll() {
    let status;
    try {
      const resp = await fetch(crawl.dataset.statusUrl, {headers: {Accept: 'application/json'}, credentials: 'same-origin'});
      if (!resp.ok) {
        throw new Error('HTTP ' + resp.status);
      }
      status = await resp.json();
    } catch (err) {
      setTimeout(poll, every * 2);
      return;
    }
    if (progress.textContent !== status.progress) {
      progress.textContent = status.progress;
    }
    const p = status.job && status.job.Progress;
    if (p && p.total > 0) {
      bar.max = p.total;
      bar.value = p.done;
      bar.textContent = p.done + '/' + p.total;
      bar.hidden = false;
    }
    if (!status.crawling) {
      // Reload without the confirmation of the click that queued the crawl.
      const here = new URL(window.location.href);
      here.searchParams.delete('done');
      window.location.replace(here.toString());
      return;
    }
    setTimeout(poll, every);
  }
  setTimeout(poll, every);
})();
