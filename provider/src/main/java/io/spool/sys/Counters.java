package io.spool.sys;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Provider-wide counters, readable from code (and later shown by the demo).
 * Every native call the provider makes is counted in {@link #NATIVE_CALLS};
 * the others count what the selector and the batching did.
 */
public final class Counters {
    private Counters() {
    }

    /** Every system call made through {@link Native#C}. */
    public static final LongAdder NATIVE_CALLS = new LongAdder();
    /** Selector select operations (select, selectNow, with or without action). */
    public static final LongAdder SELECTS = new LongAdder();
    /** Native wait calls made by selects (epoll_wait, or the spool cycle). */
    public static final LongAdder WAITS = new LongAdder();
    /** Events returned by those waits; EVENTS / WAITS is the mean batch size. */
    public static final LongAdder EVENTS = new LongAdder();
    /** Selector wakeups that reached the kernel. */
    public static final LongAdder WAKEUPS = new LongAdder();
    public static final LongAdder BYTES_READ = new LongAdder();
    public static final LongAdder BYTES_WRITTEN = new LongAdder();
    public static final LongAdder ACCEPTS = new LongAdder();

    static void call() {
        NATIVE_CALLS.increment();
    }

    /** A snapshot, name to value, in a fixed order. */
    public static Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("nativeCalls", NATIVE_CALLS.sum());
        m.put("selects", SELECTS.sum());
        m.put("waits", WAITS.sum());
        m.put("events", EVENTS.sum());
        m.put("wakeups", WAKEUPS.sum());
        m.put("bytesRead", BYTES_READ.sum());
        m.put("bytesWritten", BYTES_WRITTEN.sum());
        m.put("accepts", ACCEPTS.sum());
        return m;
    }

    /** Sets every counter back to zero (for tests and benchmarks). */
    public static void reset() {
        for (LongAdder a : new LongAdder[] {NATIVE_CALLS, SELECTS, WAITS, EVENTS, WAKEUPS,
                BYTES_READ, BYTES_WRITTEN, ACCEPTS}) {
            a.reset();
        }
    }
}
