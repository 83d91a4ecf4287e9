package io.spool.compat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What a wrk run printed: requests, rate, socket errors, non-2xx responses. */
public record Wrk(long requests, double perSecond, long connectErrors, long readErrors,
        long writeErrors, long timeouts, long non2xx) {

    private static final Pattern REQUESTS = Pattern.compile("(\\d+) requests in");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern SOCKET = Pattern.compile(
            "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");

    /** Parses wrk's output; null if it holds no result at all. */
    public static Wrk parse(String out) {
        Matcher req = REQUESTS.matcher(out);
        Matcher rate = RATE.matcher(out);
        if (!req.find() || !rate.find()) {
            return null;
        }
        long c = 0, r = 0, w = 0, t = 0, n = 0;
        Matcher s = SOCKET.matcher(out);
        if (s.find()) {
            c = Long.parseLong(s.group(1));
            r = Long.parseLong(s.group(2));
            w = Long.parseLong(s.group(3));
            t = Long.parseLong(s.group(4));
        }
        Matcher x = NON2XX.matcher(out);
        if (x.find()) {
            n = Long.parseLong(x.group(1));
        }
        return new Wrk(Long.parseLong(req.group(1)), Double.parseDouble(rate.group(1)), c, r, w, t, n);
    }

    public long socketErrors() {
        return connectErrors + readErrors + writeErrors + timeouts;
    }
}
