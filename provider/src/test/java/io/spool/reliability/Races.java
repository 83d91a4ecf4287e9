package io.spool.reliability;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.Channel;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Interrupt and close races on every blocking call of the NIO API. One
 * thread (a reused worker) blocks in the call; this thread closes the
 * channel (or selector) or interrupts the worker after a random small delay,
 * including none at all and "before the call was even handed over". The only
 * outcomes allowed are the JDK's:
 * <ul>
 * <li>close: {@link AsynchronousCloseException}, or {@link ClosedChannelException}
 *   if the close came first; the interrupt status stays clear;</li>
 * <li>interrupt: {@link ClosedByInterruptException}, the channel closed
 *   afterwards and the interrupt status still set;</li>
 * <li>Selector.select(): it returns (and isOpen() is false after a close, true
 *   after an interrupt, whose status stays set), or {@link ClosedSelectorException}
 *   if the close came first;</li>
 * <li>a normal return only where the operation can complete: a blocking
 *   write into a full window may return a short count when it is closed under
 *   it (the JDK returns what write(2) took before the signal).</li>
 * </ul>
 * A call still blocked {@value #HANG_SECONDS} s after the close or interrupt is
 * a failure, reported with its iteration number; but for one signature of
 * the JDK's own race, whichever the provider (JDK 17's Thread.interrupt()
 * sets the status after finding no blocker, outside the lock begin() takes,
 * so a call entering begin() in between blocks with the status set and its
 * channel never closed): the channel still open, the status set, and a close
 * (a wakeup, for a selector) ending the call. That counts as
 * {@value #LOST}, allowed up to 1 % of a race's interrupts.
 *
 * <p>It uses nothing but java.*, so it also runs in a JVM that has only the
 * test classes on its class path, where SelectorProvider.provider() is the
 * JDK's. Peers are java.net sockets, which do not use the SelectorProvider.
 *
 * <pre>
 *   Races ITERATIONS [SEED]   every race on SelectorProvider.provider();
 *                             one line per race (see {@link #runAll}), then "END"
 * </pre>
 */
public final class Races {
    static final int HANG_SECONDS = 5;
    static final long HANG_NANOS = TimeUnit.SECONDS.toNanos(HANG_SECONDS);

    enum Kind { close, interrupt }

    private Races() {
    }

    // ---- one iteration's subject

    /** A blocking call on a fresh subject, and what else the setup made. */
    abstract static class Op {
        /** The channel or selector that is closed (or whose user is interrupted). */
        final Object target;
        private final List<Closeable> others = new ArrayList<>();

        Op(Object target, Closeable... others) {
            this.target = target;
            this.others.addAll(List.of(others));
        }

        /** The blocking call; its result goes into the failure message if it was not allowed. */
        abstract Object call() throws Exception;

        boolean open() {
            return target instanceof Selector ? ((Selector) target).isOpen() : ((Channel) target).isOpen();
        }

        void closeTarget() throws IOException {
            ((Closeable) target).close();
        }

        void cleanup() {
            quietly((Closeable) target);
            for (Closeable c : others) {
                quietly(c);
            }
        }
    }

    interface Setup {
        Op prepare(Fixture f) throws Exception;
    }

    /** A race: a name, its setup, and the outcomes beyond the standard ones it may have. */
    static final class Race {
        final String name;
        final Setup setup;
        /** A normal return is allowed under close (a short blocking write). */
        final boolean mayReturnOnClose;
        final boolean selector;

        Race(String name, boolean mayReturnOnClose, boolean selector, Setup setup) {
            this.name = name;
            this.setup = setup;
            this.mayReturnOnClose = mayReturnOnClose;
            this.selector = selector;
        }
    }

    // ---- what the races share: the provider and reused listeners

    static final class Fixture implements Closeable {
        final SelectorProvider p;
        final InetAddress lo = InetAddress.getLoopbackAddress();
        /** Peers for read races: accepted java.net sockets, closed with a reset (no TIME_WAIT). */
        final ServerSocket peers;
        /** Peers with a small receive window, for the write race. */
        final ServerSocket smallPeers;
        /** A listener whose accept queue is full: a connect to it blocks (its SYN is dropped). */
        final ServerSocket full;
        final List<Socket> backlog = new ArrayList<>();
        /** The kind of the races now running. */
        Kind kind;
        /** The selector the interrupt races keep selecting on. */
        Selector selector;
        /** Why connect cannot be made to block here, or null. */
        String connectSkip;

        Fixture(SelectorProvider p) throws IOException {
            this.p = p;
            peers = new ServerSocket(0, 50, lo);
            smallPeers = new ServerSocket();
            smallPeers.setReceiveBufferSize(4096);
            smallPeers.bind(new InetSocketAddress(lo, 0), 50);
            full = new ServerSocket(0, 1, lo);
            for (int i = 0; i < 8 && connectSkip == null; i++) {
                Socket s = new Socket();
                try {
                    s.connect(full.getLocalSocketAddress(), 500);
                    backlog.add(s);
                } catch (SocketTimeoutException e) {
                    s.close();
                    connectSkip = ""; // the queue is full: connects block
                }
            }
            connectSkip = "".equals(connectSkip) ? null
                    : "a listener with backlog 1 took " + backlog.size() + " connections without blocking a connect";
        }

        SocketChannel connected(ServerSocket to, Socket[] peer) throws IOException {
            SocketChannel ch = p.openSocketChannel();
            try {
                ch.connect(to.getLocalSocketAddress());
                Socket s = to.accept();
                s.setSoLinger(true, 0);
                peer[0] = s;
                return ch;
            } catch (IOException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        public void close() {
            quietly(selector);
            quietly(peers);
            quietly(smallPeers);
            quietly(full);
            for (Socket s : backlog) {
                quietly(s);
            }
        }
    }

    static void quietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignore) {
                // cleanup
            }
        }
    }

    // ---- the races

    static List<Race> races() {
        List<Race> l = new ArrayList<>();
        l.add(new Race("SocketChannel.read", false, false, f -> {
            Socket[] peer = new Socket[1];
            SocketChannel ch = f.connected(f.peers, peer);
            ByteBuffer b = ByteBuffer.allocate(64);
            return new Op(ch, peer[0]) {
                @Override
                Object call() throws Exception {
                    return ch.read(b);
                }
            };
        }));
        l.add(new Race("SocketChannel.write", true, false, f -> {
            SocketChannel ch = f.p.openSocketChannel();
            ch.setOption(StandardSocketOptions.SO_SNDBUF, 4096);
            ch.connect(f.smallPeers.getLocalSocketAddress());
            Socket peer = f.smallPeers.accept();
            peer.setSoLinger(true, 0);
            // fill the send buffer and the peer's window until a write takes nothing
            ch.configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.allocate(8192);
            for (int i = 0; i < 10_000; i++) {
                chunk.clear();
                if (ch.write(chunk) == 0) {
                    break;
                }
            }
            ch.configureBlocking(true);
            ByteBuffer big = ByteBuffer.allocate(65536);
            return new Op(ch, peer) {
                @Override
                Object call() throws Exception {
                    return ch.write(big);
                }
            };
        }));
        l.add(new Race("SocketChannel.connect", false, false, f -> {
            if (f.connectSkip != null) {
                return null;
            }
            SocketChannel ch = f.p.openSocketChannel();
            return new Op(ch) {
                @Override
                Object call() throws Exception {
                    return ch.connect(f.full.getLocalSocketAddress());
                }
            };
        }));
        l.add(new Race("ServerSocketChannel.accept", false, false, f -> {
            ServerSocketChannel ssc = f.p.openServerSocketChannel();
            ssc.bind(new InetSocketAddress(f.lo, 0), 1);
            return new Op(ssc) {
                @Override
                Object call() throws Exception {
                    return ssc.accept();
                }
            };
        }));
        l.add(new Race("Selector.select", false, true, f -> {
            // an interrupt leaves the selector open: the next iteration selects on it again
            Selector kept = f.kind == Kind.interrupt ? f.selector : null;
            Selector sel = kept != null && kept.isOpen() ? kept : f.p.openSelector();
            f.selector = f.kind == Kind.interrupt ? sel : null;
            return new Op(sel) {
                @Override
                Object call() throws Exception {
                    return sel.select();
                }

                @Override
                void cleanup() {
                    if (f.selector != sel) {
                        super.cleanup();
                    }
                }
            };
        }));
        l.add(new Race("DatagramChannel.receive", false, false, f -> {
            DatagramChannel dc = f.p.openDatagramChannel();
            dc.bind(new InetSocketAddress(f.lo, 0));
            ByteBuffer b = ByteBuffer.allocate(64);
            return new Op(dc) {
                @Override
                Object call() throws Exception {
                    return dc.receive(b);
                }
            };
        }));
        l.add(new Race("Pipe.SourceChannel.read", false, false, f -> {
            Pipe pipe = f.p.openPipe();
            ByteBuffer b = ByteBuffer.allocate(64);
            return new Op(pipe.source(), pipe.sink()) {
                @Override
                Object call() throws Exception {
                    return pipe.source().read(b);
                }
            };
        }));
        l.add(new Race("Pipe.SinkChannel.write", false, false, f -> {
            Pipe pipe = f.p.openPipe();
            Pipe.SinkChannel sink = pipe.sink();
            sink.configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.allocate(65536);
            for (int i = 0; i < 10_000; i++) {
                chunk.clear();
                if (sink.write(chunk) == 0) {
                    break;
                }
            }
            sink.configureBlocking(true);
            ByteBuffer big = ByteBuffer.allocate(65536);
            return new Op(sink, pipe.source()) {
                @Override
                Object call() throws Exception {
                    return sink.write(big);
                }
            };
        }));
        for (int timeout : new int[] {0, 30_000}) {
            String suffix = timeout == 0 ? "" : " (soTimeout " + timeout / 1000 + " s)";
            l.add(new Race("socket().getInputStream().read" + suffix, false, false, f -> {
                Socket[] peer = new Socket[1];
                SocketChannel ch = f.connected(f.peers, peer);
                Socket s = ch.socket();
                s.setSoTimeout(timeout);
                InputStream in = s.getInputStream();
                byte[] b = new byte[64];
                return new Op(ch, peer[0]) {
                    @Override
                    Object call() throws Exception {
                        return in.read(b);
                    }
                };
            }));
            l.add(new Race("socket().accept" + suffix, false, false, f -> {
                ServerSocketChannel ssc = f.p.openServerSocketChannel();
                ssc.bind(new InetSocketAddress(f.lo, 0), 1);
                ServerSocket ss = ssc.socket();
                ss.setSoTimeout(timeout);
                return new Op(ssc) {
                    @Override
                    Object call() throws Exception {
                        return ss.accept();
                    }
                };
            }));
        }
        return l;
    }

    // ---- the worker that blocks

    static final class Result {
        Object value;
        Throwable thrown;
        /** The worker's interrupt status right after the call (then cleared). */
        boolean interrupted;
    }

    /** A reused thread: a new thread per iteration would cost more than the iteration. */
    static final class Worker {
        final Thread thread;
        private volatile Callable<Object> task;
        private volatile Result result;
        private volatile boolean stop;
        private final Thread owner = Thread.currentThread();

        Worker(String name) {
            thread = new Thread(this::loop, name);
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            for (;;) {
                Callable<Object> t;
                while ((t = task) == null) {
                    if (stop) {
                        return;
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        // interrupted before the call: keep the status for it (or for
                        // clearStale to see), and let the interrupting thread hand it over
                        Thread.yield();
                    } else {
                        LockSupport.park(this);
                    }
                }
                task = null;
                Result r = new Result();
                try {
                    r.value = t.call();
                } catch (Throwable e) {
                    r.thrown = e;
                }
                r.interrupted = Thread.interrupted();
                result = r;
                LockSupport.unpark(owner);
            }
        }

        void submit(Callable<Object> t) {
            result = null;
            task = t;
            LockSupport.unpark(thread);
        }

        Result await(long nanos) {
            long deadline = System.nanoTime() + nanos;
            Result r;
            while ((r = result) == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                LockSupport.parkNanos(this, left);
            }
            return r;
        }

        void stop() {
            stop = true;
            LockSupport.unpark(thread);
        }
    }

    // ---- running

    /** The current race and iteration, for a watchdog when this thread itself hangs. */
    static volatile String progress = "";

    /**
     * Runs every race {@code iterations} times per kind on provider p.
     * Prints, per race and kind:
     * <pre>
     *   RACE name|kind|iterations|millis|outcome=count,...|outcome=count,...
     *        (all iterations; those where the close or interrupt came before the call was handed over)
     *   FAIL name|kind|message              (zero or more, before its RACE line)
     *   SKIP name|reason
     * </pre>
     * and first "SCALE nanos" (the delay unit, see {@link #scale}), last "FDS before after"
     * (open descriptors of this process, when known).
     */
    static void runAll(SelectorProvider p, int iterations, long seed, Consumer<String> out) throws IOException {
        System.gc(); // channels earlier code dropped unclosed are not counted as ours
        int fds0 = openFds();
        try (Fixture f = new Fixture(p)) {
            Worker w = new Worker("race-worker");
            long scale = scale(w);
            out.accept("SCALE " + scale);
            try {
                for (Race race : races()) {
                    if (race.name.equals("SocketChannel.connect") && f.connectSkip != null) {
                        out.accept("SKIP " + race.name + "|" + f.connectSkip);
                        continue;
                    }
                    for (Kind kind : Kind.values()) {
                        w = run(race, kind, f, w, iterations, scale, new Random(seed ^ race.name.hashCode() ^ kind.ordinal()),
                                out);
                    }
                }
            } finally {
                w.stop();
            }
        }
        for (int i = 0; i < 3; i++) {
            System.gc(); // the JDK closes some descriptors through cleaners
            LockSupport.parkNanos(20_000_000);
        }
        out.accept("FDS " + fds0 + " " + openFds());
    }

    /**
     * The unit of the random delays: the median time to hand a call to the
     * worker and get its result back (some microseconds here, about 30 times
     * more under emulation, where the blocking calls take as much longer to
     * block), so that the delays land before, in and after the blocking on
     * any machine.
     */
    static long scale(Worker w) {
        long[] t = new long[201];
        for (int i = 0; i < t.length; i++) {
            long t0 = System.nanoTime();
            w.submit(() -> null);
            w.await(HANG_NANOS);
            t[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(t);
        return Math.max(2_000, Math.min(2_000_000, t[t.length / 2]));
    }

    static int openFds() {
        String[] l = new File("/proc/self/fd").list();
        return l == null ? -1 : l.length;
    }

    /** Delay modes; the name goes into a failure message. */
    private static final String[] MODES = {"before the call", "none", "spin", "park", "long park"};

    private static Worker run(Race race, Kind kind, Fixture f, Worker w, int iterations, long scale, Random rnd,
            Consumer<String> out) {
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> before = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long t0 = System.nanoTime();
        int done = 0;
        f.kind = kind;
        for (int i = 0; i < iterations && failures.size() < 5; i++) {
            progress = race.name + " " + kind + " iteration " + i + " (setup)";
            Op op;
            try {
                op = race.setup.prepare(f);
            } catch (Exception e) {
                failures.add("iteration " + i + ": setup failed: " + e);
                continue;
            }
            int r = rnd.nextInt(32);
            int mode = r < 4 ? 0 : r < 8 ? 1 : r < 20 ? 2 : r < 30 ? 3 : 4;
            long delay = mode == 2 ? (long) (rnd.nextDouble() * 2 * scale)
                    : mode == 3 ? (long) (rnd.nextDouble() * 6 * scale)
                    : mode == 4 ? (long) ((6 + rnd.nextDouble() * 14) * scale) : 0;
            String where = "iteration " + i + " (" + kind + " " + MODES[mode]
                    + (mode >= 2 ? " " + delay / 1000 + " us" : "") + ")";
            progress = race.name + " " + where;
            Throwable actionFailed = null;
            if (mode == 0) {
                actionFailed = act(kind, op, w);
                w.submit(op::call);
            } else {
                w.submit(op::call);
                if (mode == 2) {
                    long end = System.nanoTime() + delay;
                    while (System.nanoTime() < end) {
                        Thread.onSpinWait();
                    }
                } else if (mode >= 3) {
                    LockSupport.parkNanos(delay);
                }
                actionFailed = act(kind, op, w);
            }
            Result res = w.await(HANG_NANOS);
            if (res == null && kind == Kind.interrupt && w.thread.isInterrupted() && op.open()) {
                // JDK 17's Thread.interrupt() sets the status only after finding no blocker
                // installed, outside the lock that begin() installs it under: a call whose
                // begin() falls in between blocks with the status set and its channel never
                // closed. A JDK race, whichever the provider; later JDKs set the status first.
                // Then the channel is still open (an interrupt that reached the provider closes
                // it); a selector still works if a wakeup() ends its select.
                if (race.selector) {
                    ((Selector) op.target).wakeup();
                } else {
                    quietly((Closeable) op.target);
                }
                res = w.await(HANG_NANOS);
                if (res != null) {
                    outcomes.merge(LOST, 1, Integer::sum);
                    done++;
                    op.cleanup();
                    clearStale(w);
                    continue;
                }
            }
            if (res == null) {
                StringBuilder sb = new StringBuilder(where + ": " + race.name + " still blocked " + HANG_SECONDS
                        + " s after the " + kind + "; worker at");
                StackTraceElement[] st = w.thread.getStackTrace();
                for (int k = 0; k < Math.min(12, st.length); k++) {
                    sb.append(" <- ").append(st[k]);
                }
                failures.add(sb.toString());
                op.cleanup();
                w.thread.interrupt();
                if (w.await(TimeUnit.SECONDS.toNanos(1)) == null) {
                    w.stop();
                    w = new Worker("race-worker"); // the old one stays stuck: leave it
                } else {
                    clearStale(w);
                }
                break; // one hang says enough; the next iterations would each wait 5 s
            }
            done++;
            String outcome = outcome(res);
            outcomes.merge(outcome, 1, Integer::sum);
            if (mode == 0) {
                before.merge(outcome, 1, Integer::sum);
            }
            String bad = actionFailed != null ? "the " + kind + " itself threw " + actionFailed
                    : check(race, kind, res, op);
            if (bad != null) {
                failures.add(where + ": " + bad);
            }
            op.cleanup();
            clearStale(w);
        }
        quietly(f.selector);
        f.selector = null;
        int lost = outcomes.getOrDefault(LOST, 0);
        if (lost > Math.max(3, done / 100)) {
            // the JDK's race is rare (about 1 in 10,000 here); more is a provider's lost wakeup or close
            failures.add(lost + " of " + done + " interrupts lost: more than the JDK's own race explains");
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        for (String fl : failures) {
            out.accept("FAIL " + race.name + "|" + kind + "|" + fl.replace('\n', ' '));
        }
        out.accept("RACE " + race.name + "|" + kind + "|" + done + "|" + ms + "|" + counts(outcomes) + "|"
                + counts(before));
        return w;
    }

    /** The outcome of an interrupt lost to the JDK's own race (see run), not counted as a failure. */
    static final String LOST = "LostInterrupt(JDK-race)";

    /** An interrupt that came after the call had returned: cleared before the next iteration. */
    private static void clearStale(Worker w) {
        if (w.thread.isInterrupted()) {
            w.submit(() -> null);
            w.await(HANG_NANOS);
        }
    }

    private static String counts(Map<String, Integer> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }

    private static Throwable act(Kind kind, Op op, Worker w) {
        try {
            if (kind == Kind.close) {
                op.closeTarget();
            } else {
                w.thread.interrupt();
            }
            return null;
        } catch (Throwable e) {
            return e;
        }
    }

    static String outcome(Result r) {
        if (r.thrown == null) {
            return "returned";
        }
        String s = r.thrown.getClass().getSimpleName();
        if (r.thrown.getClass() == java.net.SocketException.class) {
            s += "(" + r.thrown.getMessage() + ")";
        }
        return s;
    }

    /** Null if the outcome is one the JDK allows, else why not. */
    static String check(Race race, Kind kind, Result r, Op op) {
        Throwable t = r.thrown;
        boolean open = op.open();
        String got = t == null ? "returned " + r.value : "threw " + t;
        if (kind == Kind.close) {
            if (r.interrupted) {
                return got + " with the interrupt status set, though nobody interrupted";
            }
            if (open) {
                return got + " and the " + (race.selector ? "selector" : "channel") + " is still open after close()";
            }
            if (race.selector) {
                return t == null || t instanceof ClosedSelectorException ? null
                        : got + "; allowed: a return, or ClosedSelectorException";
            }
            if (t == null) {
                return race.mayReturnOnClose ? null : got + "; allowed: AsynchronousCloseException, ClosedChannelException";
            }
            if (t.getClass() == AsynchronousCloseException.class || t.getClass() == ClosedChannelException.class) {
                return null;
            }
            return got + "; allowed: AsynchronousCloseException, ClosedChannelException";
        }
        // interrupt
        if (!r.interrupted) {
            return got + " and the interrupt status is clear";
        }
        if (race.selector) {
            if (t != null || !open) {
                return got + (open ? "" : ", selector closed") + "; allowed: a return, the selector still open";
            }
            return null;
        }
        if (t == null || t.getClass() != ClosedByInterruptException.class) {
            return got + "; allowed: ClosedByInterruptException";
        }
        return open ? got + " but the channel is still open" : null;
    }

    public static void main(String[] args) throws Exception {
        int iterations = Integer.parseInt(args[0]);
        long seed = args.length > 1 ? Long.parseLong(args[1]) : System.nanoTime();
        SelectorProvider p = SelectorProvider.provider();
        System.out.println("provider " + p.getClass().getName());
        System.out.println("seed " + seed);
        System.out.flush();
        Thread watchdog = new Thread(() -> {
            String last = null;
            int same = 0;
            for (;;) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                String now = progress;
                same = now.equals(last) ? same + 1 : 0;
                last = now;
                if (same >= 3 * HANG_SECONDS) {
                    System.out.println("STUCK " + now);
                    System.out.flush();
                    Runtime.getRuntime().halt(3);
                }
            }
        }, "race-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        runAll(p, iterations, seed, line -> {
            System.out.println(line);
            System.out.flush();
        });
        System.out.println("END");
        System.out.flush();
        System.exit(0);
    }

    /** The iteration count: -Dspool.races (default 1000). */
    static int iterations() {
        return Integer.getInteger("spool.races", 1000);
    }

    static final Set<String> KINDS = Set.of("close", "interrupt");
}
