// What the first screen can start before its modules run (they run only
// once their whole import graph is here): a classic script, run as soon as
// it arrives, while the modules download and the page's thread is idle.
//
// It asks for the two answers the guest list waits for (who is signed in,
// and the guests), and reads them: api.js uses each once, for the first
// GET of its path; app.js drops what is left once it knows who is signed
// in, so a later sign-in never reads an answer from before it.
//
// And it pays the browser's one-time costs the first screen would pay later,
// on its way to the rows (10-60 ms each on a busy machine): the first
// Intl.Collator loads the locale's collation data (the list sorts names with
// one, list-columns.js), and the first touch of localStorage and
// sessionStorage loads them from the browser (app.js reads the colour
// theme and the idle timeout there). The saved theme is set at once, too,
// so the first paint has its colours.
(() => {
  // Each answer is read to its end here too ({res, text}), as it arrives:
  // reading a body takes tasks of its own, and the modules would otherwise
  // wait for them, with the browser painting the empty shell in between.
  const ask = (path) => {
    const answer = fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then(async (res) => ({ res, text: res.status === 204 ? '' : await res.text() }));
    answer.catch(() => {}); // a failure is the taker's to report, and nobody's if dropped
    return answer;
  };
  window.vireoFirstRequests = new Map(['/api/session', '/api/vms'].map((path) => [path, ask(path)]));
  new Intl.Collator(); // eslint-disable-line no-new
  try {
    const theme = localStorage.getItem('vireo.theme');
    if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
    sessionStorage.getItem('vireo.idle_timeout');
  } catch { /* storage off: app.js copes */ }
})();
