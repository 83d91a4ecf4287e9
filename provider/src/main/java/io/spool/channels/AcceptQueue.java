package io.spool.channels;

import io.spool.sys.IO;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Accept-ahead: connections a cycle accepted on a listener, handed out by
 * the next accept() calls before any accept4(2). Filled by the selector's
 * thread, drained by any thread; guarded by its own lock. Closing the
 * listener closes the fds still queued.
 */
final class AcceptQueue {
    static final class Conn {
        final int fd;
        final InetSocketAddress peer;

        Conn(int fd, InetSocketAddress peer) {
            this.fd = fd;
            this.peer = peer;
        }
    }

    private final ArrayDeque<Conn> queue = new ArrayDeque<>();
    private boolean closed;
    private volatile int size;

    /** A connection accepted by a cycle; closed at once if the listener is closed. */
    void add(int fd, InetSocketAddress peer) {
        synchronized (this) {
            if (!closed) {
                queue.addLast(new Conn(fd, peer));
                size = queue.size();
                return;
            }
        }
        IO.closeQuietly(fd);
    }

    Conn poll() {
        if (size == 0) {
            return null;
        }
        synchronized (this) {
            Conn c = queue.pollFirst();
            size = queue.size();
            return c;
        }
    }

    int size() {
        return size;
    }

    /** The listener is closing: no more connections; close the queued ones. */
    void close() {
        ArrayDeque<Conn> left;
        synchronized (this) {
            closed = true;
            left = new ArrayDeque<>(queue);
            queue.clear();
            size = 0;
        }
        for (Conn c : left) {
            IO.closeQuietly(c.fd);
        }
    }
}
