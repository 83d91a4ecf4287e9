package io.spool.backend;

import java.io.Closeable;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;

/**
 * One selector's set of registrations in the kernel. Every method but
 * {@link #wakeup} is called under the selector's cycle lock (by the
 * selecting thread, or by a worker that took the lock to read a channel);
 * {@link #wakeup} may be called from any thread.
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

        /**
         * As {@link #received(long, ByteBuffer, int)}; {@code filled}: the
         * receive filled all the room it was given, so the socket may hold
         * more bytes than it took.
         */
        default void received(long cookie, ByteBuffer data, int errno, boolean filled) {
            received(cookie, data, errno);
        }

        /** Accept-ahead: a connection accepted on the listener {@code cookie}. */
        default void accepted(long cookie, int fd, SocketAddress peer) {
            throw new UnsupportedOperationException("accept-ahead");
        }

        /**
         * As {@link #ready(long, int)}, with the bytes a send on that socket
         * surely gets taken now ({@code sendRoom}: the kernel's send-buffer
         * room after the poll's sends; 0 when unknown), for write-behind.
         */
        default void ready(long cookie, int events, int sendRoom) {
            ready(cookie, events);
        }

        /** Write-behind: the result of the send queued as number {@code index}. */
        default void sent(int index, int result) {
            throw new UnsupportedOperationException("write-behind");
        }
    }

    /**
     * Registers {@code fd}. The reports carry {@code cookie}, whose low 32
     * bits are the fd. Its high 32 bits, when not 0, name the socket: a
     * registration with the cookie of the fd's last one is the same socket
     * again, and a poller may keep what it learnt about it (its MSS, its
     * send buffer); with 0 there, or another cookie, it must not.
     */
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

    /** Feature bit of {@link #features()}: registrations may carry {@link #F_RECV}. */
    int FEAT_RECV = 1;
    /** Feature bit: registrations may carry {@link #F_ACCEPT}. */
    int FEAT_ACCEPT = 2;
    /**
     * Feature bit: {@link #addSend} queues sends for the next poll, and
     * events report each socket's send room ({@link Sink#ready(long, int, int)}), so
     * that no more is staged than the socket takes.
     */
    int FEAT_SEND = 4;

    /** What this poller can batch: FEAT_* bits (0 for plain epoll). */
    default int features() {
        return 0;
    }

    /**
     * Write-behind: queues a send of {@code len} bytes at native
     * {@code address} on {@code fd}, done at the start of the next poll;
     * the memory must stay untouched until then. Its result (bytes sent or
     * -errno) comes back through {@link Sink#sent}, with the index of this
     * send among those queued since the last poll.
     *
     * @return false when this poller does not batch sends (or the batch is full)
     */
    default boolean addSend(int fd, long address, int len) {
        return false;
    }

    /**
     * Removes a registration now, not batched with the next poll: for a
     * channel about to be closed, so that the kernel lets go of the file
     * before its descriptor is closed. Forgets queued changes of {@code fd}.
     */
    default void unregisterNow(int fd) throws IOException {
        unregister(fd);
    }

    /** Changes a registration now, not batched with the next poll. */
    default void modifyNow(int fd, int events, int flags, long cookie) throws IOException {
        modify(fd, events, flags, cookie);
    }
}
