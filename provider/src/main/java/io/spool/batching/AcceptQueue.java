package io.spool.batching;

import io.spool.sys.IO;
import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * Accept-ahead: connections a cycle accepted on a listener, handed out by
 * the next accept() calls before any accept4(2). Filled by the selector's
 * thread, drained by any thread; guarded by its own lock. Closing the
 * listener closes the fds still queued.
 *
 * <p>The queue is bounded by the listener's backlog ({@link #limit}): when
 * it holds that many, the selector stops accepting ahead (the registration
 * loses F_ACCEPT) until accept() takes one. The connections beyond wait in
 * the kernel's own queue, and beyond that the kernel refuses them, as
 * without SPOOL: an application that accepts slowly still sheds load at
 * the backlog it asked for, and accept-ahead never holds more of its
 * descriptors than that. (A poll that is taking connections when the bound
 * is reached may add the few it takes in that one enter or cycle.)
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
    private volatile int limit = Integer.MAX_VALUE;

    /** The bound: the backlog the listener was given (listen(2)'s, as the kernel caps it). */
    public void limit(int backlog) {
        limit = Math.max(1, backlog);
    }

    /** Whether the queue holds as many connections as its bound: accept no more ahead. */
    public boolean full() {
        return size >= limit;
    }

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
