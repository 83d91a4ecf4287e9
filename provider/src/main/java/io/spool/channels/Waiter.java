package io.spool.channels;

import io.spool.sys.IO;
import io.spool.sys.Threads;
import java.io.IOException;
import java.lang.ref.Cleaner;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * How a blocking channel operation waits for its fd, and how a close, a
 * shutdown or an interrupt wakes it: the channel keeps the waiter of each
 * thread blocked in it and calls {@link #unpark()}, and the thread wakes,
 * sees the new state and leaves. A stale wakeup only causes a spurious
 * return from {@link #park}, and every caller loops.
 *
 * <ul>
 * <li>A <b>platform thread</b> waits in poll(2) on its fd and on an
 *   eventfd, which unpark signals (this replaces the JDK's signal-based
 *   NativeThread). The eventfd is borrowed from a pool for the length of
 *   one park, so a thread holds no descriptor between operations and
 *   thread churn does not grow the process's descriptors.</li>
 * <li>A <b>virtual thread</b> (JDK 21 and later) must not hold its carrier
 *   in poll(2). It registers its fd with the {@link VirtualParker}'s epoll
 *   (one-shot) and parks with LockSupport, as the JDK's own channels do
 *   through sun.nio.ch.Poller; readiness, unpark and interrupt unpark it.</li>
 * </ul>
 */
abstract class Waiter {
    /** The provider's cleaner: releases what a collected object held. */
    static final Cleaner CLEANER = Cleaner.create();
    private static final ThreadLocal<Waiter> LOCAL = ThreadLocal.withInitial(Waiter::create);

    static Waiter current() {
        return LOCAL.get();
    }

    private static Waiter create() {
        Thread t = Thread.currentThread();
        return isVirtual(t) ? new Virtual(t) : new Platform();
    }

    static boolean isVirtual(Thread t) {
        return Threads.isVirtual(t);
    }

    /**
     * Waits until fd has one of {@code events} (Linux poll bits), an
     * {@link #unpark()}, an interrupt, or the timeout ({@code -1}: none).
     */
    abstract void park(int fd, int events, int timeoutMillis) throws IOException;

    /** Wakes this waiter's thread if it is parked, or makes its next park return. */
    abstract void unpark();

    /**
     * Whether a park that returns at once costs about one system call (a
     * platform thread's poll), so that waiting before a read that will
     * likely find nothing is worth it; a virtual thread's park is dearer.
     */
    abstract boolean cheapWait();

    /** poll(2) on the fd and a pooled eventfd. */
    private static final class Platform extends Waiter {
        /** Eventfds no park uses now, drained. */
        private static final ConcurrentLinkedQueue<Integer> FREE = new ConcurrentLinkedQueue<>();

        // guarded by this
        /** The eventfd of the park in progress, or -1. */
        private int efd = -1;
        /** unpark() came while no park was in progress: the next one returns at once. */
        private boolean signalled;

        @Override
        void park(int fd, int events, int timeoutMillis) throws IOException {
            int e;
            synchronized (this) {
                if (signalled) {
                    signalled = false;
                    return;
                }
                Integer f = FREE.poll();
                efd = f != null ? f : IO.eventfd();
                e = efd;
            }
            try {
                IO.poll(fd, events, e, timeoutMillis);
            } finally {
                boolean written;
                synchronized (this) {
                    efd = -1;
                    written = signalled; // only an unpark during this park wrote e
                    signalled = false; // this park ended: the caller looks at the state again
                }
                // no unpark can signal e from here on (it saw efd -1): drain it if written, give it back
                try {
                    if (written) {
                        IO.drain(e);
                    }
                    FREE.offer(e);
                } catch (IOException x) {
                    IO.closeQuietly(e);
                }
            }
        }

        @Override
        boolean cheapWait() {
            return true;
        }

        @Override
        void unpark() {
            synchronized (this) {
                signalled = true;
                if (efd >= 0) {
                    try {
                        IO.signal(efd);
                    } catch (IOException ignore) {
                        // an eventfd write only fails on overflow, which also wakes
                    }
                }
            }
        }
    }

    /** LockSupport.park, woken by the {@link VirtualParker}. */
    static final class Virtual extends Waiter {
        final Thread thread;
        /** Readiness or unpark since the park began (or before it). */
        volatile boolean woken;
        /** The parker saw this park's event: its one-shot registration is disabled, not armed. */
        volatile boolean polled;

        Virtual(Thread thread) {
            this.thread = thread;
        }

        @Override
        void park(int fd, int events, int timeoutMillis) throws IOException {
            if (woken) {
                woken = false;
                return;
            }
            VirtualParker parker = VirtualParker.forEvents(events);
            parker.register(fd, events, this);
            try {
                long deadline = timeoutMillis > 0 ? System.nanoTime() + timeoutMillis * 1_000_000L : 0;
                while (!woken && !thread.isInterrupted() && timeoutMillis != 0) {
                    if (timeoutMillis < 0) {
                        LockSupport.park(this);
                    } else {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            break;
                        }
                        LockSupport.parkNanos(this, left);
                    }
                }
            } finally {
                parker.deregister(fd, this);
                woken = false;
            }
        }

        @Override
        boolean cheapWait() {
            return false;
        }

        @Override
        void unpark() {
            woken = true;
            LockSupport.unpark(thread);
        }
    }
}
