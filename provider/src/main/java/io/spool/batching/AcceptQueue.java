package io.spool.batching;

import io.spool.sys.IO;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * Accept-ahead: connections a cycle accepted on a listener, handed out by
 * the next accept() calls before any accept4(2). Filled by the selector's
 * thread, drained by any thread; guarded by its own lock. Closing the
 * listener closes the fds still queued.
 */
public final class AcceptQueue {
    public static final class Conn {
        public final int fd;
        public final SocketAddress peer;

        Conn(int fd, SocketAddress peer) {
            this.fd = fd;
            this.peer = peer;
        }
    }

    private final ArrayDeque<Conn> queue = new ArrayDeque<>();
    private boolean closed;
    private volatile int size;

    /** A connection accepted by a cycle; closed at once if the listener is closed. */
    public void add(int fd, SocketAddress peer) {
        synchronized (this) {
            if (!closed) {
                queue.addLast(new Conn(fd, peer));
                size = queue.size();
                return;
            }
        }
        IO.closeQuietly(fd);
    }

    public Conn poll() {
        if (size == 0) {
            return null;
        }
        synchronized (this) {
            Conn c = queue.pollFirst();
            size = queue.size();
            return c;
        }
    }

    public int size() {
        return size;
    }

    /** The listener is closing: no more connections; close the queued ones. */
    public void close() {
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
