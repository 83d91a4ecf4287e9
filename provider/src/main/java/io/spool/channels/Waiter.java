package io.spool.channels;

import io.spool.sys.IO;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;

/**
 * How a blocking channel operation waits: poll(2) on the channel's fd and
 * on this thread's eventfd. A close, a shutdown or an interrupt (which
 * closes the channel) signals the eventfd of the threads blocked in the
 * channel, so they wake, see the new state and leave. This replaces the
 * JDK's signal-based NativeThread. A stale signal only causes a spurious
 * wakeup, and every caller loops.
 */
final class Waiter {
    /** The provider's cleaner: releases what a collected object held. */
    static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<Waiter> LOCAL = ThreadLocal.withInitial(Waiter::new);

    private final int efd;

    private Waiter() {
        try {
            efd = IO.eventfd();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int fd = efd;
        CLEANER.register(this, () -> IO.closeQuietly(fd));
    }

    static Waiter current() {
        return LOCAL.get();
    }

    /**
     * Waits until fd has one of events, a signal, or the timeout
     * (-1: none). Returns fd's revents, or 0.
     */
    int park(int fd, int events, int timeoutMillis) throws IOException {
        int rev = IO.poll(fd, events, efd, timeoutMillis);
        IO.drain(efd);
        return rev;
    }

    /** Wakes this waiter's thread if it is parked, or makes its next park return. */
    void unpark() {
        try {
            IO.signal(efd);
        } catch (IOException ignore) {
            // an eventfd write only fails on overflow, which also wakes
        }
    }
}
