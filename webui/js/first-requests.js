// The first screen's two answers (who is signed in, and the guest list),
// asked for as soon as the page starts: a classic script, run as soon as it
// arrives, while the modules still load (they run only once their whole
// import graph is here). api.js uses each answer once, for the first GET of
// its path; app.js drops what is left once it knows who is signed in, so a
// later sign-in never reads an answer from before it.
(() => {
  const ask = (path) => {
    const answer = fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' });
    answer.catch(() => {}); // a failure is the taker's to report, and nobody's if dropped
    return answer;
  };
  window.vireoFirstRequests = new Map(['/api/session', '/api/vms'].map((path) => [path, ask(path)]));
})();
