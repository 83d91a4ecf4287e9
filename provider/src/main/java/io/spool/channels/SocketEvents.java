package io.spool.channels;

import java.net.SocketAddress;

/**
 * Flight Recorder events for socket reads and writes on SPOOL's channels,
 * as the JDK records jdk.SocketRead and jdk.SocketWrite for its own:
 * {@code io.spool.SocketRead} and {@code io.spool.SocketWrite}, with the
 * JDK's fields (host, address, port, bytes, timeout, end of stream) and
 * what only SPOOL knows: whether the bytes came from read-ahead or went
 * to write-behind (no system call of their own). Like the JDK's, they are
 * recorded from 20 ms on; {@code -XX:StartFlightRecording} with a
 * settings file, or {@code Recording.enable("io.spool.SocketRead")
 * .withThreshold(Duration.ZERO)}, records every one.
 *
 * <p>This class names no JFR type, so a runtime without the jdk.jfr
 * module loads it safely. The event classes are loaded only once the
 * Flight Recorder is initialized (a recording was started): loading and
 * registering them costs about 150 ms, which a JVM that records nothing
 * must not pay on its first write. Until then an operation pays one check
 * of a static field.
 */
final class SocketEvents {
    private static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private SocketEvents() {
    }

    /** Whether a recording may be running: JFR is there and initialized. */
    private static boolean recorder() {
        return JFR && JfrGate.initialized();
    }

    /** Before a read: an event to end, or null when none is recorded. */
    static Object beginRead() {
        return recorder() ? JfrSocketEvents.beginRead() : null;
    }

    /** After a read that returned {@code n} (-1: end of stream). */
    static void endRead(Object event, SocketAddress remote, long n, boolean fromReadAhead, long timeoutMillis) {
        if (event != null) {
            JfrSocketEvents.endRead(event, remote, n, fromReadAhead, timeoutMillis);
        }
    }

    static Object beginWrite() {
        return recorder() ? JfrSocketEvents.beginWrite() : null;
    }

    static void endWrite(Object event, SocketAddress remote, long n, boolean staged) {
        if (event != null) {
            JfrSocketEvents.endWrite(event, remote, n, staged);
        }
    }
}
