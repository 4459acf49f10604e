// The history of one range as chart columns, kept current by live samples.
// A history answer (GET /api/host/stats or /api/vms/{vm}/stats) gives
// buckets: each point is the average of the samples in a bucket of `step`
// seconds, starting at a multiple of `step` (docs/stats.md). A sample from
// the event stream (every `interval` seconds) goes into its bucket the same
// way the daemon stores it: a new bucket appends a point, the bucket still
// filling takes the running average (and `_max` series the largest), a gap
// longer than a bucket gets one point of nulls so lines break there, and
// points older than the range drop off the left. No DOM: unit-tested in node.

export const RANGES = {
  '1h': { seconds: 3600, label: '1 hour', words: 'the last hour' },
  '1d': { seconds: 86400, label: '1 day', words: 'the last day' },
  '30d': { seconds: 30 * 86400, label: '30 days', words: 'the last 30 days' },
  '1y': { seconds: 365 * 86400, label: '1 year', words: 'the last year' },
};

export class StatsSeries {
  // answer: the history answer; keys: the series to keep, in chart order
  // (a key the answer lacks is all nulls).
  constructor(answer, keys) {
    this.keys = keys;
    this.range = answer.range;
    this.seconds = (RANGES[answer.range] || RANGES['1h']).seconds;
    this.step = answer.step > 0 ? answer.step : 5;
    this.interval = answer.interval || 0;
    this.to = answer.to;
    this.from = answer.from;
    this.time = [...(answer.time || [])];
    this.cols = keys.map((k) => [...((answer.series || {})[k] || this.time.map(() => null))]);
    // How many samples the bucket still filling holds, to average into it:
    // the daemon does not say, so it is counted from the last sample's time.
    this.filling = 1;
    const last = this.time.length ? this.time[this.time.length - 1] : null;
    const latest = answer.latest && answer.latest.time;
    if (last !== null && latest && this.interval > 0 && latest >= last && latest < last + this.step) {
      this.filling = Math.floor((latest - last) / this.interval) + 1;
    }
  }

  // uPlot's data: [time, ...one column per key].
  data() {
    return [this.time, ...this.cols];
  }

  // Points with a figure in the column of `key`.
  count(key) {
    const col = this.cols[this.keys.indexOf(key)];
    return col ? col.filter((v) => v !== null && v !== undefined).length : 0;
  }

  // The newest figure of `key` and its time, or null.
  last(key) {
    const col = this.cols[this.keys.indexOf(key)];
    if (!col) return null;
    for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null && col[i] !== undefined) return { value: col[i], time: this.time[i] };
    return null;
  }

  // Average and largest figure of `key` over the range, or null.
  summary(key) {
    const col = this.cols[this.keys.indexOf(key)];
    if (!col) return null;
    let sum = 0;
    let n = 0;
    let max = -Infinity;
    for (const v of col) {
      if (v === null || v === undefined) continue;
      sum += v;
      n++;
      if (v > max) max = v;
    }
    return n ? { avg: sum / n, max, n } : null;
  }

  // One live sample: `time` (unix seconds) and its figures ({cpu, ...}; a
  // `_max` key takes the figure of its base). Returns true if it changed
  // anything.
  add(time, figures) {
    if (typeof time !== 'number' || !figures) return false;
    const bucket = time - (time % this.step);
    const n = this.time.length;
    const last = n ? this.time[n - 1] : null;
    const value = (k) => {
      const v = figures[k.endsWith('_max') ? k.slice(0, -4) : k];
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    };
    if (last !== null && bucket < last) return false;
    if (last !== null && bucket === last) {
      const w = this.filling;
      this.keys.forEach((k, i) => {
        const v = value(k);
        const old = this.cols[i][n - 1];
        if (v === null) return;
        if (old === null || old === undefined) this.cols[i][n - 1] = v;
        else if (k.endsWith('_max')) this.cols[i][n - 1] = Math.max(old, v);
        else this.cols[i][n - 1] = (old * w + v) / (w + 1);
      });
      this.filling = w + 1;
    } else {
      // A bucket skipped (the VM was off, the stream was down): one point of
      // nulls right after the last one, as the daemon's answers have.
      const lastIsGap = n && this.cols.every((c) => c[n - 1] === null);
      if (last !== null && bucket > last + this.step && !lastIsGap) {
        this.time.push(last + this.step);
        this.cols.forEach((c) => c.push(null));
      }
      this.time.push(bucket);
      this.keys.forEach((k, i) => this.cols[i].push(value(k)));
      this.filling = 1;
    }
    this.to = Math.max(this.to || 0, time);
    this.from = this.to - this.seconds;
    this.trim();
    return true;
  }

  // Drops the points that left the range.
  trim() {
    let cut = 0;
    while (cut < this.time.length && this.time[cut] < this.from) cut++;
    if (!cut) return;
    this.time.splice(0, cut);
    this.cols.forEach((c) => c.splice(0, cut));
  }
}
