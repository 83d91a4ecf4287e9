package io.spool.backend;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One selector's set of registrations in the kernel. Only the selector's
 * thread calls register, modify, unregister, poll and close (under the
 * selector's lock); {@link #wakeup} may be called from any thread.
 */
public interface Poller extends Closeable {
    /** Registration flag: the poll may receive ahead for this stream socket. */
    int F_RECV = 1;
    /** Registration flag: the poll may accept ahead on this listener. */
    int F_ACCEPT = 2;

    /** What a poll reports, per ready descriptor. */
    interface Sink {
        /** The descriptor registered with {@code cookie} is ready for {@code events}. */
        void ready(long cookie, int events);

        /**
         * Read-ahead: bytes received for {@code cookie} during the poll, valid
         * only during this call (copy them); {@code data == null} means
         * end of stream, or {@code errno != 0} an error of the receive.
         */
        default void received(long cookie, ByteBuffer data, int errno) {
            throw new UnsupportedOperationException("read-ahead");
        }

        /** Accept-ahead: a connection accepted on the listener {@code cookie}. */
        default void accepted(long cookie, int fd, InetSocketAddress peer) {
            throw new UnsupportedOperationException("accept-ahead");
        }
    }

    void register(int fd, int events, int flags, long cookie) throws IOException;

    void modify(int fd, int events, int flags, long cookie) throws IOException;

    void unregister(int fd) throws IOException;

    /**
     * Sends staged writes, waits up to {@code timeoutMillis} (-1: forever,
     * 0: not at all) and reports to {@code sink}. Returns the number of ready
     * descriptors reported, not counting a wakeup. A signal ends the wait
     * early with 0.
     *
     * @return the count, with {@link #woken()} telling whether a wakeup was consumed
     */
    int poll(int timeoutMillis, Sink sink) throws IOException;

    /** Whether the last poll consumed a wakeup. */
    boolean woken();

    /** Makes a concurrent poll, or the next one, return at once. */
    void wakeup() throws IOException;

    /**
     * Write-behind: stages bytes for {@code fd}, to be sent by the next poll.
     * Returns the number of bytes taken from {@code src}, or -1 when this
     * poller does not stage (the caller writes itself).
     */
    default int stage(int fd, ByteBuffer src) {
        return -1;
    }

    /** Sends now whatever is staged for {@code fd}. */
    default void flush(int fd) throws IOException {
    }
}
