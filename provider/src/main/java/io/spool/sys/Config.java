package io.spool.sys;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Every {@code spool.*} system property, parsed and checked in one place,
 * once, when the provider starts. A value that does not parse or is out of
 * range is an {@link IllegalArgumentException} naming the property, its
 * value and what it takes; the README's table lists the same properties
 * (ConfigTest keeps the two in step).
 */
public final class Config {
    /** One property: its name, default, range and what it changes. */
    public record Property(String name, String dflt, String range, String what) {
    }

    private static final Map<String, Property> ALL = new LinkedHashMap<>();

    private static Property define(String name, String dflt, String range, String what) {
        Property p = new Property(name, dflt, range, what);
        ALL.put(name, p);
        return p;
    }

    static final Property ENABLED = define("spool.enabled", "true", "true, false",
            "false: SPOOL does not serve; found through the class path on JDK 17 to 23, it hands over to the JDK's provider");
    static final Property BACKEND = define("spool.backend", "auto", "auto, spool, uring, epoll",
            "which backend serves channels; auto tries spool, then uring (io_uring, Linux 6.0+), then epoll");
    static final Property FFI = define("spool.ffi", "auto", "auto, jnr, ffm",
            "how libc is bound: auto takes JNR-FFI, else (JDK 22+) the FFM API; jnr or ffm takes only that one");
    static final Property READ_AHEAD = define("spool.readAhead", "true", "true, false",
            "read-ahead: receive from ready sockets in the cycle");
    static final Property WRITE_BEHIND = define("spool.writeBehind", "true", "true, false",
            "write-behind: stage writes of the selecting thread for the next cycle");
    static final Property ACCEPT_AHEAD = define("spool.acceptAhead", "true", "true, false",
            "accept-ahead: accept on ready listeners in the cycle");
    static final Property URING_DEFER_TASKRUN = define("spool.uringDeferTaskrun", "true", "true, false",
            "uring backend: set rings up with IORING_SETUP_DEFER_TASKRUN (since 6.13 an enter then runs at most 20 of the polls that fired; false: COOP_TASKRUN, every one)");
    static final Property ARENA = define("spool.arena", "1048576", "4096 to 2147483647",
            "bytes of a selector's receive arena (capped by the module's max_arena; on uring, doubled up to 4 times this while receives lack room)");
    static final Property RECV_MAX = define("spool.recvMax", "65536", "1 to 2147483647",
            "bytes a cycle receives for one socket");
    static final Property READ_AHEAD_PAUSE = define("spool.readAheadPause", "262144", "1 to 2147483647",
            "unread read-ahead bytes at which a socket's read-ahead pauses");
    static final Property STAGE_MAX = define("spool.stageMax", "65536", "1 to 16777216",
            "bytes one channel may have staged");
    static final Property STAGE_POOL_BYTES = define("spool.stagePoolBytes", "33554432",
            "0 to 9223372036854775807", "bytes of staging buffers kept for reuse");
    static final Property SEND_CREDIT = define("spool.sendCredit", "75", "1 to 100000",
            "percent of a socket's reported send room that may be staged (above 100 only to test the drainer)");
    static final Property DRAIN_TIMEOUT_MS = define("spool.drainTimeoutMs", "120000", "0 to 2147483647",
            "how long bytes a close left wait for a peer that reads nothing before it is reset");
    static final Property FLUSH_TIMEOUT_MS = define("spool.flushTimeoutMs", "30000", "0 to 2147483647",
            "at JVM exit, how long staged and draining bytes may wait for their sockets");
    static final Property JMX = define("spool.jmx", "true", "true, false",
            "register the MXBean io.spool:type=Provider (backend, reason, counters) in the platform MBean server");
    static final Property COUNTERS_FILE = define("spool.countersFile", "", "a file path",
            "the benchmarks' view of the counters: written there, name and value per line, whenever the file is missing, and at exit");

    private static volatile Config instance;

    public final boolean enabled;
    public final String backend;
    /** "auto", "jnr" or "ffm" (see {@link Native}). */
    public final String ffi;
    public final boolean readAhead;
    public final boolean writeBehind;
    public final boolean acceptAhead;
    public final boolean uringDeferTaskrun;
    public final int arena;
    public final int recvMax;
    public final int readAheadPause;
    public final int stageMax;
    public final long stagePoolBytes;
    public final int sendCredit;
    public final int drainTimeoutMs;
    public final int flushTimeoutMs;
    public final boolean jmx;
    /** null when unset. */
    public final String countersFile;

    Config(Properties p) {
        enabled = bool(p, ENABLED);
        backend = choice(p, BACKEND, "auto", "spool", "uring", "epoll");
        ffi = choice(p, FFI, "auto", "jnr", "ffm");
        readAhead = bool(p, READ_AHEAD);
        writeBehind = bool(p, WRITE_BEHIND);
        acceptAhead = bool(p, ACCEPT_AHEAD);
        uringDeferTaskrun = bool(p, URING_DEFER_TASKRUN);
        arena = (int) num(p, ARENA, 4096, Integer.MAX_VALUE);
        recvMax = (int) num(p, RECV_MAX, 1, Integer.MAX_VALUE);
        readAheadPause = (int) num(p, READ_AHEAD_PAUSE, 1, Integer.MAX_VALUE);
        stageMax = (int) num(p, STAGE_MAX, 1, 16 << 20);
        stagePoolBytes = num(p, STAGE_POOL_BYTES, 0, Long.MAX_VALUE);
        sendCredit = (int) num(p, SEND_CREDIT, 1, 100_000);
        drainTimeoutMs = (int) num(p, DRAIN_TIMEOUT_MS, 0, Integer.MAX_VALUE);
        flushTimeoutMs = (int) num(p, FLUSH_TIMEOUT_MS, 0, Integer.MAX_VALUE);
        jmx = bool(p, JMX);
        String f = value(p, COUNTERS_FILE);
        countersFile = f.isEmpty() ? null : f;
    }

    /**
     * The configuration of this JVM, read from the system properties on
     * first use.
     *
     * @throws IllegalArgumentException naming the first bad property
     */
    public static Config get() {
        Config c = instance;
        if (c == null) {
            synchronized (Config.class) {
                c = instance;
                if (c == null) {
                    c = new Config(System.getProperties());
                    instance = c;
                }
            }
        }
        return c;
    }

    /** Every property, in the README's order. */
    public static Map<String, Property> properties() {
        return Collections.unmodifiableMap(ALL);
    }

    private static String value(Properties p, Property prop) {
        String v = p.getProperty(prop.name());
        return v == null ? prop.dflt() : v.trim();
    }

    private static IllegalArgumentException bad(Property prop, String v) {
        return new IllegalArgumentException("SPOOL: bad " + prop.name() + "=" + v + " (expected " + prop.range()
                + "; default " + (prop.dflt().isEmpty() ? "unset" : prop.dflt()) + ")");
    }

    private static String choice(Properties p, Property prop, String... allowed) {
        String v = value(p, prop).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return a;
            }
        }
        throw bad(prop, v);
    }

    private static boolean bool(Properties p, Property prop) {
        return choice(p, prop, "true", "false").equals("true");
    }

    private static long num(Properties p, Property prop, long min, long max) {
        String v = value(p, prop);
        long x;
        try {
            x = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw bad(prop, v);
        }
        if (x < min || x > max) {
            throw bad(prop, v);
        }
        return x;
    }
}
