package io.spool.batching;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import io.spool.sys.Privileged;
import io.spool.sys.Errno;
import io.spool.sys.IO;
import io.spool.sys.Linux;
import io.spool.sys.Memory;
import io.spool.sys.Native;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Staged bytes that a channel's close, shutdownOutput or
 * configureBlocking(true) found but the socket could not take at once.
 *
 * <p>Write-behind stages only what the kernel said the socket's send buffer
 * takes (see {@link SocketBatch}), so this is rare: the kernel shrank the
 * buffer under memory pressure, or a cgroup refused the memory. The bytes
 * were reported written, so they are neither dropped nor waited for on the
 * caller's thread (the JDK's close and shutdownOutput do not wait either:
 * the kernel sends what it holds after they return). One daemon thread
 * writes them as the socket takes them, through a {@code dup} of the
 * channel's descriptor: the channel's own descriptor closes as usual, and
 * the connection ends only when the dup closes, after the bytes, as a
 * close(2) of a socket with queued data would end it.
 *
 * <p>A peer that takes nothing for {@code spool.drainTimeoutMs} (default
 * 120 s, about as long as the kernel probes a zero window of an orphaned
 * socket) gets a reset, never a clean end of stream after missing bytes;
 * that is counted and logged at WARNING. At JVM exit the thread gets
 * {@code spool.flushTimeoutMs} to finish, then resets what is left.
 */
public final class Drainer {
    static final int TIMEOUT_MS = Config.get().drainTimeoutMs;
    private static final int POLL_MS = 50;

    /** Bytes one channel still owes its peer. */
    public static final class Residue {
        /** A dup of the channel's fd; closed by the drainer when done. */
        final int fd;
        private final ByteBuffer buf;
        private int pos;
        private final int len;
        private final long deadline;
        // guarded by this
        private boolean done;
        private boolean shutdownOutput;
        private boolean cancelled;
        private boolean retired;
        private int errno;

        Residue(int fd, ByteBuffer buf, int pos, int len) {
            this.fd = fd;
            this.buf = buf;
            this.pos = pos;
            this.len = len;
            this.deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
        }

        public synchronized boolean isDone() {
            return done;
        }

        /** The error that ended the drain (0: every byte went out). */
        public synchronized int errno() {
            return errno;
        }

        /**
         * shutdownOutput: the FIN goes after the bytes. False when the
         * drain is over: the caller shuts down itself.
         */
        public synchronized boolean shutdownAfter() {
            if (done) {
                return false;
            }
            shutdownOutput = true;
            return true;
        }

        /** close with SO_LINGER 0: the JDK discards unsent bytes and resets; so does this. */
        public synchronized void cancel() {
            cancelled = true;
        }

        /** Waits until the drain is over, or for at most {@code millis}. */
        public synchronized void await(long millis) throws InterruptedException {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (!done) {
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return;
                }
                wait(left);
            }
        }

        private synchronized void finish(int e) {
            done = true;
            errno = e;
            if (e == 0 && shutdownOutput) {
                try {
                    Sockets.shutdown(fd, Linux.SHUT_WR);
                } catch (IOException ignore) {
                    // the peer is gone: nothing more to tell it
                }
            }
            notifyAll();
        }

        private synchronized boolean isCancelled() {
            return cancelled;
        }

        /** Writes what the socket takes now; true when nothing is left (or it failed). */
        private synchronized boolean writeSome() {
            if (done) {
                return true;
            }
            try {
                while (pos < len) {
                    long n = IO.write(fd, Memory.address(buf) + pos, len - pos);
                    if (n == IO.UNAVAILABLE) {
                        return false;
                    }
                    pos += (int) n;
                    Counters.DRAINED_BYTES.add(n);
                }
                finish(0);
            } catch (IOException e) {
                finish(Errno.EPIPE);
            }
            return true;
        }
    }

    private static final Object LOCK = new Object();
    // guarded by LOCK
    private static final List<Residue> PENDING = new ArrayList<>();
    private static Thread thread;
    private static boolean exiting;

    private Drainer() {
    }

    /**
     * Takes over {@code len - pos} bytes of {@code buf} owed on the socket
     * {@code fd}. The buffer is the drainer's from now on.
     */
    static Residue adopt(int fd, ByteBuffer buf, int pos, int len) throws IOException {
        int dup = Native.C.dup(fd);
        if (dup < 0) {
            throw io.spool.sys.NativeErrors.io(Native.errno());
        }
        Residue r = new Residue(dup, buf, pos, len);
        Counters.DRAINS.increment();
        boolean inline = false;
        synchronized (LOCK) {
            if (thread == null && !exiting) {
                try {
                    thread = Privileged.run(() -> {
                        Runtime.getRuntime().addShutdownHook(new Thread(Drainer::drainAtExit, "spool-drainer-exit"));
                        Thread t = new Thread(Drainer::run, "spool-drainer");
                        t.setDaemon(true);
                        t.start();
                        return t;
                    });
                } catch (IllegalStateException shuttingDown) {
                    exiting = true; // a shutdown hook closes the channel: no thread would outlive it
                }
            }
            if (exiting) {
                inline = true;
            } else {
                PENDING.add(r);
                LOCK.notifyAll();
            }
        }
        if (inline) {
            drainAtExit(new Residue[] {r}); // bounded by spool.flushTimeoutMs, as the exit flush
        }
        return r;
    }

    /** How many drains are under way (for tests and the counters). */
    static int pending() {
        synchronized (LOCK) {
            return PENDING.size();
        }
    }

    private static void run() {
        ByteBuffer fds = Memory.allocate(8 * 64);
        for (;;) {
            Residue[] rs;
            synchronized (LOCK) {
                while (PENDING.isEmpty() || exiting) {
                    try {
                        LOCK.wait();
                    } catch (InterruptedException e) {
                        // a daemon: keep serving
                    }
                }
                rs = PENDING.toArray(new Residue[0]);
            }
            if (fds.capacity() < 8 * rs.length) {
                fds = Memory.allocate(8 * rs.length);
            }
            int live = step(rs);
            if (live == 0) {
                continue;
            }
            int n = 0;
            for (Residue r : rs) {
                if (!r.isDone()) {
                    fds.putInt(8 * n, r.fd);
                    fds.putShort(8 * n + 4, (short) Linux.POLLOUT);
                    fds.putShort(8 * n + 6, (short) 0);
                    n++;
                }
            }
            // a short timeout: new residues and deadlines are seen without a wakeup fd
            Native.C.poll(Memory.address(fds), n, POLL_MS);
        }
    }

    /** One pass over the residues; returns how many are still under way. */
    private static int step(Residue[] rs) {
        int live = 0;
        long now = System.nanoTime();
        for (Residue r : rs) {
            if (r.isCancelled()) {
                abort(r, false);
            } else if (!r.writeSome()) {
                if (now - r.deadline > 0) {
                    abort(r, true);
                } else {
                    live++;
                    continue;
                }
            }
            retire(r);
        }
        return live;
    }

    /** Resets the connection: the peer must not take a short stream for a whole one. */
    private static void abort(Residue r, boolean timedOut) {
        try {
            Sockets.abort(r.fd);
        } catch (IOException ignore) {
            // already gone
        }
        r.finish(Errno.ECONNRESET);
        if (timedOut) {
            Counters.DRAIN_ABORTS.increment();
            System.getLogger("io.spool").log(Level.WARNING,
                    "SPOOL: a peer took none of " + (r.len - r.pos) + " bytes owed to it for "
                            + TIMEOUT_MS + " ms after its channel was closed or shut down; "
                            + "the connection was reset (spool.drainTimeoutMs)");
        }
    }

    private static void retire(Residue r) {
        synchronized (r) {
            if (r.retired) {
                return; // the exit hook and the thread both got here: close once
            }
            r.retired = true;
        }
        IO.closeQuietly(r.fd);
        synchronized (LOCK) {
            PENDING.remove(r);
        }
    }

    /** Exit: the JDK's data outlives the process in the kernel; ours gets a bounded wait. */
    private static void drainAtExit() {
        Residue[] rs;
        synchronized (LOCK) {
            exiting = true; // the drainer thread stops taking residues
            rs = PENDING.toArray(new Residue[0]);
        }
        drainAtExit(rs);
    }

    /** Exit: writes what each residue owes, waiting for the sockets up to spool.flushTimeoutMs in all. */
    private static void drainAtExit(Residue[] rs) {
        long end = System.nanoTime() + SocketBatch.FLUSH_TIMEOUT_MS * 1_000_000L;
        for (Residue r : rs) {
            while (!r.isDone() && !r.writeSome()) {
                long left = (end - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    abort(r, true);
                    break;
                }
                try {
                    IO.poll(r.fd, Linux.POLLOUT, -1, (int) Math.min(left, 1000));
                } catch (IOException e) {
                    abort(r, false);
                }
            }
            retire(r);
        }
    }
}
