-- wrk script for the benchmarks: at the end, the latency percentiles wrk
-- does not print by itself (p95) and the failed requests, one
-- "key=value" a line, after wrk's own report.
done = function(summary, latency, requests)
    io.write(string.format("p50_us=%d\n", latency:percentile(50)))
    io.write(string.format("p95_us=%d\n", latency:percentile(95)))
    io.write(string.format("p99_us=%d\n", latency:percentile(99)))
    io.write(string.format("max_us=%d\n", latency.max))
    io.write(string.format("requests=%d\n", summary.requests))
    io.write(string.format("seconds=%.3f\n", summary.duration / 1e6))
    io.write(string.format("non2xx=%d\n", summary.errors.status))
    io.write(string.format("timeouts=%d\n", summary.errors.timeout))
    io.write(string.format("socket_errors=%d\n",
        summary.errors.connect + summary.errors.read + summary.errors.write))
end
