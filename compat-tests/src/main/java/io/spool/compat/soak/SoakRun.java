package io.spool.compat.soak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * One soak run: a {@link SoakEchoServer} thread, and on the calling thread a
 * client with {@code conns} concurrent connections on its own Selector that
 * pushes {@code bytes} bytes through the server and checks every byte that
 * comes back.
 *
 * <p>Each connection sends a stream of its own, byte k being a function of
 * the connection's seed and k (splitmix64 of seed and k / 8), so the
 * receiver recomputes what it must get back with no copy kept. Writes are of
 * random sizes (1 byte to 64 KiB, mostly small), reads into buffers of random
 * sizes; at most {@code window} bytes are in flight on a connection. Each
 * connection carries a random share of the total (half to one and a half
 * times bytes/conns); when all of it came back it closes (FIN) and a new
 * connection takes its place while bytes are left to hand out.
 *
 * <p>Kills: at {@code kills} random points of the run (by bytes verified,
 * between 2 % and 90 %), one connection with bytes in flight is closed with
 * SO_LINGER 0 (a RST to the server, mid-transfer); the share it did not get
 * back goes back to the pool, and a replacement opens. Every other
 * connection must finish with every byte right: an exception, an early EOF
 * or a wrong byte on one of them fails the run.
 */
final class SoakRun {
    private final String name;
    private final long bytes;
    private final int conns;
    private final int kills;
    private final int window;
    private final long seed;
    private final SelectorProvider clientProvider;
    private final int progressSeconds;
    private final int stallSeconds;
    private final SplittableRandom rnd;

    // One set for every run (all on the main thread), so that the runs'
    // scratch buffers do not show as direct memory the run left behind.
    private static final ByteBuffer outBuf = ByteBuffer.allocateDirect(64 << 10);
    private static final ByteBuffer inBuf = ByteBuffer.allocateDirect(64 << 10);
    private static final byte[] outArr = new byte[64 << 10];
    private static final byte[] inArr = new byte[64 << 10];

    private final List<Conn> active = new ArrayList<>();
    private Selector selector;
    private InetSocketAddress address;
    private long unassigned;
    private long mean;
    private int nextId;
    private long lastAdvance;

    // results
    long verified;
    long sent;
    long opened;
    long connected;
    long finished;
    long killed;
    long lostInFlight;
    long serverAccepted;
    long serverEof;
    long serverErrors;
    String serverErrorKinds = "";
    long wallMillis;
    final List<String> failures = new ArrayList<>();

    private static final class Conn {
        final int id;
        final long seed;
        final long target;
        SocketChannel ch;
        SelectionKey key;
        long sent;
        long recv;
        int ops;
        int index;
        boolean connected;

        Conn(int id, long seed, long target) {
            this.id = id;
            this.seed = seed;
            this.target = target;
        }
    }

    SoakRun(String name, long bytes, int conns, int kills, int window, long seed,
            SelectorProvider clientProvider, int progressSeconds, int stallSeconds) {
        this.name = name;
        this.bytes = bytes;
        this.conns = conns;
        this.kills = kills;
        this.window = window;
        this.seed = seed;
        this.clientProvider = clientProvider;
        this.progressSeconds = progressSeconds;
        this.stallSeconds = stallSeconds;
        this.rnd = new SplittableRandom(seed);
    }

    // --- the byte streams ------------------------------------------------------

    static long word(long seed, long index) {
        long z = seed + index * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Bytes off .. off+len-1 of the stream of seed. */
    static void fill(byte[] b, int len, long seed, long off) {
        long w = word(seed, off >>> 3);
        for (int i = 0; i < len; i++) {
            long k = off + i;
            if ((k & 7) == 0) {
                w = word(seed, k >>> 3);
            }
            b[i] = (byte) (w >>> ((k & 7) << 3));
        }
    }

    /** The index of the first byte that is not the stream's, or -1. */
    static int verify(byte[] b, int len, long seed, long off) {
        long w = word(seed, off >>> 3);
        for (int i = 0; i < len; i++) {
            long k = off + i;
            if ((k & 7) == 0) {
                w = word(seed, k >>> 3);
            }
            if (b[i] != (byte) (w >>> ((k & 7) << 3))) {
                return i;
            }
        }
        return -1;
    }

    private static byte expected(long seed, long k) {
        return (byte) (word(seed, k >>> 3) >>> ((k & 7) << 3));
    }

    // --- random sizes -----------------------------------------------------------

    private int ioSize() {
        int r = rnd.nextInt(10);
        if (r < 4) {
            return 1 + rnd.nextInt(256);
        } else if (r < 8) {
            return 1 + rnd.nextInt(16 << 10);
        }
        return 1 + rnd.nextInt(64 << 10);
    }

    // --- the run ----------------------------------------------------------------

    private void fail(String msg) {
        if (failures.size() < 20) {
            failures.add(msg);
        }
        System.out.println("# " + name + ": FAIL " + msg);
    }

    /** Runs it; true when every check passed (failures is empty). */
    boolean run() throws IOException, InterruptedException {
        long start = System.nanoTime();
        SoakEchoServer server = new SoakEchoServer(seed ^ 0x5eedL);
        address = server.address();
        server.start();
        selector = clientProvider.openSelector();
        unassigned = bytes;
        mean = Math.max(1, bytes / conns);
        long[] killAt = new long[kills];
        for (int i = 0; i < kills; i++) {
            killAt[i] = (long) (bytes * (0.02 + 0.88 * rnd.nextDouble()));
        }
        Arrays.sort(killAt);
        int nextKill = 0;
        long lastProgress = System.nanoTime();
        long verifiedAtProgress = 0;
        lastAdvance = System.nanoTime();
        try {
            fillUp();
            while (!active.isEmpty() || unassigned > 0) {
                if (server.escaped != null) {
                    fail("server: an exception escaped its loop: " + describe(server.escaped));
                    break;
                }
                selector.select(500);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (k.isValid()) {
                        handle(k);
                    }
                }
                while (nextKill < killAt.length && verified >= killAt[nextKill] && kill()) {
                    nextKill++;
                }
                fillUp();
                long now = System.nanoTime();
                if (now - lastProgress >= progressSeconds * 1_000_000_000L) {
                    double secs = (now - lastProgress) / 1e9;
                    System.out.printf(Locale.ROOT, "# %s: progress %ds: %s verified of %s"
                            + " (%.2f MB/s), %d open, %d opened, %d killed; server: %d accepted,"
                            + " %d open%n", name, (now - start) / 1_000_000_000L, mib(verified),
                            mib(bytes), (verified - verifiedAtProgress) / secs / 1e6, active.size(),
                            opened, killed, server.accepted.get(), server.open.get());
                    lastProgress = now;
                    verifiedAtProgress = verified;
                }
                if (now - lastAdvance > stallSeconds * 1_000_000_000L) {
                    fail(String.format(Locale.ROOT, "stalled: no byte came back for %d s;"
                            + " %d connections open, for example %s; server: %d accepted, %d open",
                            stallSeconds, active.size(), sample(), server.accepted.get(),
                            server.open.get()));
                    break;
                }
                if (!failures.isEmpty()) {
                    break;
                }
            }
            if (nextKill < killAt.length && failures.isEmpty()) {
                fail("only " + killed + " of " + kills + " kills happened (no connection had"
                        + " bytes in flight at the others' points)");
            }
        } finally {
            for (Conn c : new ArrayList<>(active)) {
                close(c, false);
            }
            selector.close();
            // A closed selector may still hold its buffers (SPOOL's: the
            // cycle arena, 1 MiB) until it is garbage; this object outlives
            // the run, so let go of it.
            selector = null;
            // Every connection is closed on our side; the server must have
            // closed its end of each (EOF or reset) by itself.
            long deadline = System.nanoTime() + stallSeconds * 1_000_000_000L;
            while (server.open.get() != 0 && server.escaped == null
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            if (failures.isEmpty() && server.open.get() != 0) {
                fail("server: " + server.open.get() + " connections still open " + stallSeconds
                        + " s after the client closed all of them");
            }
            if (!server.stop(60_000)) {
                fail("server: its thread did not stop within 60 s");
            }
            if (server.escaped != null && failures.stream().noneMatch(f -> f.startsWith("server: an"))) {
                fail("server: an exception escaped its loop: " + describe(server.escaped));
            }
            serverAccepted = server.accepted.get();
            serverEof = server.eofCloses.get();
            serverErrors = server.errorCloses.get();
            serverErrorKinds = server.errors();
            wallMillis = (System.nanoTime() - start) / 1_000_000;
        }
        if (failures.isEmpty()) {
            if (verified != bytes) {
                fail("verified " + verified + " bytes, want " + bytes);
            }
            if (serverAccepted != connected) {
                fail("server accepted " + serverAccepted + " connections, the client made "
                        + connected);
            }
            if (serverEof + serverErrors != serverAccepted) {
                fail("server closed " + (serverEof + serverErrors) + " of its " + serverAccepted
                        + " connections because of EOF or an error");
            }
        }
        return failures.isEmpty();
    }

    static String describe(Throwable t) {
        StackTraceElement[] st = t.getStackTrace();
        return t + (st.length > 0 ? " at " + st[0] : "");
    }

    static String mib(long b) {
        return String.format(Locale.ROOT, "%.1f MiB", b / 1048576.0);
    }

    private String sample() {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Conn c : active) {
            if (n++ == 3) {
                break;
            }
            sb.append(String.format(Locale.ROOT, "[#%d %s sent %d recv %d of %d, ops %d] ",
                    c.id, c.connected ? "connected" : "connecting", c.sent, c.recv, c.target,
                    c.ops));
        }
        return sb.toString().trim();
    }

    private void fillUp() throws IOException {
        while (active.size() < conns && unassigned > 0) {
            long t = Math.max(1, Math.min(unassigned, mean / 2 + (long) (rnd.nextDouble() * mean)));
            unassigned -= t;
            Conn c = new Conn(nextId, word(seed, 1_000_000_007L + nextId), t);
            nextId++;
            c.ch = clientProvider.openSocketChannel();
            c.ch.configureBlocking(false);
            c.index = active.size();
            active.add(c);
            opened++;
            try {
                c.connected = c.ch.connect(address);
            } catch (IOException e) {
                fail("connection #" + c.id + ": connect: " + e);
                close(c, false);
                return;
            }
            if (c.connected) {
                connected++;
            }
            c.ops = c.connected ? ops(c) : SelectionKey.OP_CONNECT;
            c.key = c.ch.register(selector, c.ops, c);
        }
    }

    private int ops(Conn c) {
        boolean canWrite = c.sent < c.target && c.sent - c.recv < window;
        return SelectionKey.OP_READ | (canWrite ? SelectionKey.OP_WRITE : 0);
    }

    private void handle(SelectionKey k) {
        Conn c = (Conn) k.attachment();
        try {
            if (k.isConnectable()) {
                if (!c.ch.finishConnect()) {
                    return;
                }
                c.connected = true;
                connected++;
            } else {
                if (k.isReadable() && !read(c)) {
                    return;
                }
                if (k.isWritable()) {
                    write(c);
                }
            }
            int ops = ops(c);
            if (ops != c.ops) {
                c.ops = ops;
                k.interestOps(ops);
            }
        } catch (IOException e) {
            fail(String.format(Locale.ROOT, "connection #%d (not killed; sent %d, received %d"
                    + " of %d): %s", c.id, c.sent, c.recv, c.target, e));
            close(c, false);
        }
    }

    /** One read of a random size; false when the connection is done with. */
    private boolean read(Conn c) throws IOException {
        inBuf.clear().limit(ioSize());
        int n = c.ch.read(inBuf);
        if (n < 0) {
            fail(String.format(Locale.ROOT, "connection #%d: EOF from the server after %d of"
                    + " %d bytes (sent %d)", c.id, c.recv, c.target, c.sent));
            close(c, false);
            return false;
        }
        if (n == 0) {
            return true;
        }
        if (c.recv + n > c.sent) {
            fail(String.format(Locale.ROOT, "connection #%d: %d bytes came back, only %d were"
                    + " sent", c.id, c.recv + n, c.sent));
            close(c, false);
            return false;
        }
        inBuf.flip();
        inBuf.get(inArr, 0, n);
        int bad = verify(inArr, n, c.seed, c.recv);
        if (bad >= 0) {
            long at = c.recv + bad;
            fail(String.format(Locale.ROOT, "connection #%d: byte %d of the echo is 0x%02x, it"
                    + " was sent as 0x%02x (read of %d bytes at %d)", c.id, at,
                    inArr[bad] & 0xff, expected(c.seed, at) & 0xff, n, c.recv));
            close(c, false);
            return false;
        }
        c.recv += n;
        verified += n;
        lastAdvance = System.nanoTime();
        if (c.recv == c.target) {
            finished++;
            close(c, false);
            return false;
        }
        return true;
    }

    private void write(Conn c) throws IOException {
        long room = Math.min(c.target - c.sent, window - (c.sent - c.recv));
        if (room <= 0) {
            return;
        }
        int size = (int) Math.min(room, ioSize());
        fill(outArr, size, c.seed, c.sent);
        outBuf.clear();
        outBuf.put(outArr, 0, size).flip();
        int n = c.ch.write(outBuf);
        c.sent += n;
        sent += n;
    }

    /** Kills one connection that has bytes in flight; false if none has. */
    private boolean kill() {
        if (active.isEmpty()) {
            return false;
        }
        int from = rnd.nextInt(active.size());
        for (int i = 0; i < active.size(); i++) {
            Conn c = active.get((from + i) % active.size());
            if (c.connected && c.sent > c.recv && c.recv > 0) {
                killed++;
                lostInFlight += c.sent - c.recv;
                unassigned += c.target - c.recv;
                close(c, true);
                return true;
            }
        }
        return false;
    }

    private void close(Conn c, boolean reset) {
        int i = c.index;
        if (i < active.size() && active.get(i) == c) {
            Conn last = active.remove(active.size() - 1);
            if (last != c) {
                active.set(i, last);
                last.index = i;
            }
        }
        try {
            if (reset) {
                c.ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            c.ch.close();
        } catch (IOException e) {
            fail("connection #" + c.id + ": close: " + e);
        }
    }
}
