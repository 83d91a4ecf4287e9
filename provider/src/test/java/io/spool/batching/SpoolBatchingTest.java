package io.spool.batching;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.SpoolSelectorProvider;
import io.spool.conformance.ConformanceTest;
import io.spool.sys.Counters;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The spool backend's batching, measured with the provider's counters.
 * Tagged "spool": the host run (epoll) excludes it, the VM run
 * (make check-provider, module loaded) includes it.
 */
@Tag("spool")
class SpoolBatchingTest {
    static final int CLIENTS = 100;

    static SelectorProvider spool() throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        assertTrue(p instanceof SpoolSelectorProvider, "the default provider is SPOOL: " + p);
        assertEquals(System.getProperty("spool.expectBackend", "spool"), ((SpoolSelectorProvider) p).backendName());
        return p;
    }

    static long calls() {
        return Counters.NATIVE_CALLS.sum();
    }

    @Test
    void backendBatches() throws Exception {
        String b = ((SpoolSelectorProvider) spool()).backendName();
        assertTrue(b.equals("spool") || b.equals("uring"), b);
    }

    /**
     * Native calls of one select that finds sockets to receive from, at
     * most: the module's one cycle; io_uring's enter that waits, then the
     * enter of the receives (see UringBackend).
     */
    static int callsPerReceivingSelect() {
        return "uring".equals(System.getProperty("spool.expectBackend")) ? 2 : 1;
    }

    /**
     * Selects that 100 ready sockets take at most: one, but two on io_uring
     * with DEFER_TASKRUN, whose waiting enter since 6.13 runs 20 items of
     * the deferred work (the polls that fired): the select that reports
     * them runs the rest, and the next reports it (see UringBackend's
     * drainBudget).
     */
    static int maxSelects() {
        boolean deferred = "uring".equals(System.getProperty("spool.expectBackend"))
                && io.spool.sys.Config.get().uringDeferTaskrun;
        return deferred ? 2 : 1;
    }

    /**
     * 100 clients each send a message: one select reports 100 readable keys
     * with one native call, reading them costs none, and the 100 replies
     * written on the selector thread go out with the next select's one call.
     */
    @Test
    void oneSelectTurnIsOneNativeCall() throws Exception {
        SelectorProvider p = spool();
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), CLIENTS);
            ssc.configureBlocking(false);
            SelectionKey acceptKey = ssc.register(sel, SelectionKey.OP_ACCEPT);
            List<Socket> clients = new ArrayList<>();
            List<SocketChannel> server = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket s = new Socket(lo, ((InetSocketAddress) ssc.getLocalAddress()).getPort());
                    s.setSoTimeout(20_000);
                    clients.add(s);
                }
                // accept-ahead: the connections come with the cycles
                long c0 = calls();
                long t0 = System.nanoTime();
                while (server.size() < CLIENTS && System.nanoTime() - t0 < 20_000_000_000L) {
                    sel.select(1000);
                    sel.selectedKeys().clear();
                    SocketChannel c;
                    while ((c = ssc.accept()) != null) {
                        c.configureBlocking(false);
                        c.register(sel, SelectionKey.OP_READ);
                        server.add(c);
                    }
                }
                assertEquals(CLIENTS, server.size());
                System.out.println("SPOOL-MEASURE accept " + CLIENTS + " connections: " + (calls() - c0)
                        + " native calls, " + Counters.ACCEPTS_FROM_MEMORY.sum() + " accepts served from memory");
                acceptKey.interestOps(0);
                sel.selectNow(); // the registrations ride in this cycle
                sel.selectedKeys().clear();

                for (int round = 0; round < 2; round++) {
                    for (int i = 0; i < CLIENTS; i++) {
                        clients.get(i).getOutputStream().write(("message " + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    }
                    Thread.sleep(300); // loopback delivers within the write; give TCG time anyway

                    // One select reports every readable socket, but on io_uring with DEFER_TASKRUN
                    // since 6.13 the wait runs 20 of the polls that fired (see UringBackend): there
                    // the 100 take two selects, each of them one cycle.
                    int reported = 0;
                    int selects = 0;
                    long sendsBefore = Counters.CYCLE_SENDS.sum();
                    long readWriteCalls = 0;
                    long maxSelectCalls = 0;
                    ByteBuffer buf = ByteBuffer.allocate(256);
                    while (reported < CLIENTS && selects < CLIENTS) {
                        long before = calls();
                        long cyclesBefore = Counters.CYCLES.sum();
                        int n = sel.select(5000);
                        long selectCalls = calls() - before;
                        selects++;
                        assertTrue(n > 0, "select " + selects + " found none of the " + (CLIENTS - reported)
                                + " sockets still to report");
                        maxSelectCalls = Math.max(maxSelectCalls, selectCalls);
                        if (round == 0 && selects == 1) {
                            // the first turn of new sockets: the uring backend reads each one's MSS
                            // and SO_SNDBUF once (its room for write-behind); measured from the second
                            System.out.println("SPOOL-MEASURE native calls of the first select turn of " + n
                                    + " new sockets: " + selectCalls);
                        } else if (round > 0) {
                            // io_uring may have posted the readiness before the select (its task work runs as
                            // this thread's client writes return): then only the receives' enter is left
                            assertTrue(selectCalls >= 1 && selectCalls <= callsPerReceivingSelect(),
                                    "native calls of one select with " + n + " ready sockets: " + selectCalls);
                        }
                        assertEquals(1, Counters.CYCLES.sum() - cyclesBefore);

                        long readStart = calls();
                        for (SelectionKey k : sel.selectedKeys()) {
                            assertTrue(k.isReadable());
                            SocketChannel c = (SocketChannel) k.channel();
                            buf.clear();
                            int r = c.read(buf);
                            assertTrue(r > 0, "read " + r);
                            String msg = new String(buf.array(), 0, r, StandardCharsets.US_ASCII);
                            assertTrue(msg.startsWith("message ") && msg.endsWith("\n"), msg);
                            buf.flip();
                            assertEquals(r, c.write(buf), "the reply is staged whole");
                        }
                        sel.selectedKeys().clear();
                        readWriteCalls += calls() - readStart;
                        reported += n;
                    }
                    assertEquals(CLIENTS, reported, "every readable socket reported once");
                    assertTrue(selects <= maxSelects(), CLIENTS + " ready sockets took " + selects + " selects");
                    assertEquals(0, readWriteCalls, "reading " + CLIENTS + " channels and staging the replies");

                    long sendStart = calls();
                    sel.selectNow();
                    assertEquals(1, calls() - sendStart, "the next select sends the last replies in its one call");
                    assertEquals(CLIENTS, Counters.CYCLE_SENDS.sum() - sendsBefore,
                            "each select sent the replies staged before it");

                    for (int i = 0; i < CLIENTS; i++) {
                        InputStream in = clients.get(i).getInputStream();
                        byte[] want = ("message " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                        assertArrayEquals(want, in.readNBytes(want.length));
                    }
                    System.out.println("SPOOL-MEASURE native calls per select turn at " + CLIENTS + " ready sockets: "
                            + selects + " select(s) of at most " + maxSelectCalls + " call(s), " + readWriteCalls
                            + " (" + CLIENTS + " reads + " + CLIENTS + " writes), 1 (next select, the last sends)");
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                for (SocketChannel c : server) {
                    c.close();
                }
            }
        }
    }

    /**
     * Connections whose request and EOF wait unread in memory cost a select
     * nothing each: the JDK's HttpServer makes a selectNow() per request it
     * takes, with thousands of such connections selected and not yet
     * served, and a select that polled each of them again (an EOF is
     * level-triggered) made that server's work grow with the square of its
     * backlog until it served nothing. They stay readable, as on the JDK's
     * provider: the bytes, then -1, then -1 again from the kernel.
     */
    @Test
    void unreadEndedConnectionsCostNoSelect() throws Exception {
        SelectorProvider p = spool();
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), CLIENTS);
            List<Socket> clients = new ArrayList<>();
            List<SocketChannel> server = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    Socket s = new Socket(lo, ((InetSocketAddress) ssc.getLocalAddress()).getPort());
                    clients.add(s);
                    SocketChannel c = ssc.accept();
                    c.configureBlocking(false);
                    c.register(sel, SelectionKey.OP_READ, i);
                    server.add(c);
                }
                for (int i = 0; i < CLIENTS; i++) {
                    clients.get(i).getOutputStream().write(("request " + i).getBytes(StandardCharsets.US_ASCII));
                    clients.get(i).shutdownOutput();
                }
                Thread.sleep(300);
                // the receives ahead take the requests, then the EOFs
                for (int i = 0; i < 5; i++) {
                    sel.select(1000);
                }
                assertEquals(CLIENTS, sel.selectedKeys().size(), "every connection is readable");

                // a backlog: every key selected, none served yet, a selectNow per key taken
                long events0 = Counters.EVENTS.sum();
                long calls0 = calls();
                int rounds = 50;
                for (int i = 0; i < rounds; i++) {
                    assertEquals(0, sel.selectNow(), "nothing new");
                }
                long events = Counters.EVENTS.sum() - events0;
                long nativeCalls = calls() - calls0;
                System.out.println("SPOOL-MEASURE " + rounds + " selectNow with " + CLIENTS
                        + " ended connections unread: " + events + " events, " + nativeCalls + " native calls");
                assertTrue(events < CLIENTS, "the backend polled the unread connections again: " + events
                        + " events in " + rounds + " selects");
                assertTrue(nativeCalls <= rounds, "native calls of " + rounds + " selects: " + nativeCalls);

                // still readable, from memory: the request, then EOF
                sel.selectedKeys().clear();
                assertEquals(CLIENTS, sel.selectNow());
                ByteBuffer buf = ByteBuffer.allocate(256);
                for (SelectionKey k : sel.selectedKeys()) {
                    assertTrue(k.isReadable());
                    SocketChannel c = (SocketChannel) k.channel();
                    buf.clear();
                    int r = c.read(buf);
                    assertEquals("request " + k.attachment(), new String(buf.array(), 0, Math.max(r, 0),
                            StandardCharsets.US_ASCII));
                    buf.clear();
                    assertEquals(-1, c.read(buf));
                }
                // the EOF taken, the kernel's readiness is the key's again: still readable, still -1
                sel.selectedKeys().clear();
                assertEquals(CLIENTS, sel.select(5000));
                for (SelectionKey k : sel.selectedKeys()) {
                    assertTrue(k.isReadable());
                    buf.clear();
                    assertEquals(-1, ((SocketChannel) k.channel()).read(buf));
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                for (SocketChannel c : server) {
                    c.close();
                }
            }
        }
    }

    /**
     * More staged writes than one cycle may send (the backend's batch: 1,024
     * sends on uring and on the module): the rest go in the next cycles of
     * the same select, before it waits. They used to wait for the next
     * select, whose wait nothing ended, since their peers waited for them:
     * at 10,000 connections the server made a few selects a second. And
     * they go even when the select's timeout has run out in the first cycle
     * (select(1) here; select(1000) on the sanitizer kernel, whose first
     * cycle took longer): the timeout bounds the wait, not the sending.
     */
    @Test
    void stagedWritesBeyondOneBatchGoBeforeTheWait() throws Exception {
        SelectorProvider p = spool();
        int n = 1100;
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), n);
            List<Socket> clients = new ArrayList<>();
            List<SocketChannel> server = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = new Socket(lo, ((InetSocketAddress) ssc.getLocalAddress()).getPort());
                    clients.add(s);
                    SocketChannel c = ssc.accept();
                    c.configureBlocking(false);
                    c.register(sel, SelectionKey.OP_READ);
                    server.add(c);
                }
                sel.selectNow();
                for (int timeout : new int[] {1000, 1}) {
                    long staged = stageReplies(sel, clients);
                    // one select: nothing is ready, it sends what is staged and waits the rest
                    long t0 = System.nanoTime();
                    assertEquals(0, sel.select(timeout));
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    int arrived = 0;
                    for (Socket s : clients) {
                        if (s.getInputStream().available() > 0) {
                            arrived++;
                            assertEquals('q', s.getInputStream().read());
                        }
                    }
                    System.out.println("SPOOL-MEASURE " + staged + " staged replies: " + arrived
                            + " arrived after one select(" + timeout + ") of " + ms + " ms");
                    assertEquals(n, arrived, "replies sent by the select(" + timeout + ")");
                    assertTrue(ms >= timeout * 9 / 10, "the select still waited: " + ms + " ms");
                }
            } finally {
                for (Socket s : clients) {
                    s.close();
                }
                for (SocketChannel c : server) {
                    c.close();
                }
            }
        }
    }

    /**
     * Each client sends a request, and the selector's thread reads it and
     * writes a one-byte reply: staged, since each socket's room is known.
     * Returns the writes staged; more than one cycle's batch must be.
     */
    private static long stageReplies(Selector sel, List<Socket> clients) throws Exception {
        int n = clients.size();
        for (Socket s : clients) {
            s.getOutputStream().write('q');
        }
        Thread.sleep(300);
        int replied = 0;
        long staged0 = Counters.STAGED_WRITES.sum();
        ByteBuffer one = ByteBuffer.allocate(1);
        for (int polls = 0; replied < n && polls < 20; polls++) {
            sel.select(1000);
            for (SelectionKey k : sel.selectedKeys()) {
                SocketChannel c = (SocketChannel) k.channel();
                one.clear();
                if (c.read(one) == 1) {
                    one.flip();
                    assertEquals(1, c.write(one));
                    replied++;
                }
            }
            sel.selectedKeys().clear();
        }
        assertEquals(n, replied, "every request read");
        long staged = Counters.STAGED_WRITES.sum() - staged0;
        assertTrue(staged > 1024, "replies staged: " + staged + " of " + n);
        return staged;
    }

    /** Staged bytes reach the peer before close, shutdownOutput and configureBlocking(true). */
    @Test
    void stagedBytesAreFlushed() throws Exception {
        for (String how : new String[] {"close", "shutdownOutput", "configureBlocking"}) {
            FlushScenarios.run(spool(), how, true);
        }
    }

    /** Staged bytes written just before System.exit reach the peer (the shutdown hook). */
    @Test
    void stagedBytesAreFlushedAtExit() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<List<String>> jvm = CompletableFuture.supplyAsync(() -> {
                try {
                    return ConformanceTest.runJvmPublic(List.of(), FlushScenarios.class.getName(),
                            List.of("exit", Integer.toString(ss.getLocalPort())));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            ss.setSoTimeout(60_000);
            try (Socket s = ss.accept()) {
                s.setSoTimeout(60_000);
                byte[] got = s.getInputStream().readAllBytes();
                assertArrayEquals(FlushScenarios.pattern(FlushScenarios.EXIT_BYTES), got);
            }
            List<String> out = jvm.get(120, TimeUnit.SECONDS);
            assertTrue(out.contains("staged " + FlushScenarios.EXIT_BYTES), String.join("\n", out));
        }
    }

    /**
     * Accept-ahead holds at most the listener's backlog (AcceptQueue): 16
     * clients connect, one at a time, to a listener of backlog 8 while its
     * selector turns and nobody accepts. The queue fills to the backlog and
     * stops there, give or take what the one poll that filled it took (a
     * connection or two: each connect is followed by selects); the rest wait
     * in the kernel's own queue (up to backlog + 1), as without SPOOL. Then
     * the application accepts one connection per select, as the JDK's
     * HttpServer does: all 16 come, and since the queue has room again
     * after each accept, accept-ahead goes on and serves them all.
     */
    @Test
    void acceptAheadStopsAtTheBacklog() throws Exception {
        SelectorProvider p = spool();
        final int backlog = 8;
        final int n = 2 * backlog; // the kernel's queue holds what accept-ahead leaves: none is refused
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), backlog);
            ssc.configureBlocking(false);
            ssc.register(sel, SelectionKey.OP_ACCEPT);
            AcceptQueue q = ((io.spool.channels.SpoolServerSocketChannel) ssc).acceptQueue();
            List<SocketChannel> clients = new ArrayList<>();
            List<SocketChannel> server = new ArrayList<>();
            try {
                int most = 0;
                for (int i = 0; i < n; i++) {
                    SocketChannel c = p.openSocketChannel();
                    c.configureBlocking(false);
                    c.connect(ssc.getLocalAddress());
                    clients.add(c);
                    for (int k = 0; k < 3; k++) {
                        sel.selectNow();
                        sel.selectedKeys().clear();
                        most = Math.max(most, q.size());
                    }
                }
                long t0 = System.nanoTime();
                while (System.nanoTime() - t0 < 500_000_000L) {
                    sel.select(20);
                    sel.selectedKeys().clear();
                    most = Math.max(most, q.size());
                }
                assertTrue(most >= backlog, "accept-ahead took only " + most + " of " + n
                        + " connections to a listener of backlog " + backlog);
                assertTrue(most <= backlog + 3, "accept-ahead took " + most + " of " + n
                        + " connections to a listener of backlog " + backlog);

                long fromMemory = Counters.ACCEPTS_FROM_MEMORY.sum();
                t0 = System.nanoTime();
                while (server.size() < n && System.nanoTime() - t0 < 30_000_000_000L) {
                    sel.select(200);
                    sel.selectedKeys().clear();
                    SocketChannel c = ssc.accept();
                    if (c != null) {
                        server.add(c);
                    }
                }
                assertEquals(n, server.size(), "connections accepted of " + n);
                assertEquals(null, ssc.accept(), "a connection more than the clients made");
                long served = Counters.ACCEPTS_FROM_MEMORY.sum() - fromMemory;
                assertTrue(served > most, "accepts served from memory: " + served + ", no more than the "
                        + most + " queued before the application accepted: accept-ahead did not go on");
                System.out.println("SPOOL-MEASURE accept-ahead at backlog " + backlog + ": at most " + most
                        + " queued; " + served + " of " + n + " accepts served from memory");
            } finally {
                for (SocketChannel c : clients) {
                    c.close();
                }
                for (SocketChannel c : server) {
                    c.close();
                }
            }
        }
    }

    /**
     * A read takes all the socket holds when the receive ahead took part of
     * it ({@code spool.recvMax=1000}), and an error met on the way comes
     * after the bytes: the lines are the JDK provider's output of the same
     * main (JDK 17 and 25). A request split over two reads would be answered
     * in two writes, the second held by Nagle until the peer's delayed ACK.
     */
    @Test
    void readTakesWhatReadAheadLeft() throws Exception {
        List<String> out = ConformanceTest.runJvmPublic(List.of("-Dspool.recvMax=1000"),
                ReadOnScenarios.class.getName(), List.of());
        assertEquals(List.of(
                "more 3000 0",
                "exact 1000 0",
                "more+reset 3000 SocketException(Connection reset)",
                "exact+reset 1000 SocketException(Connection reset)",
                "DONE"), out);
    }

    /** Each switch off (and all off): the same flushes and echo are still correct. */
    @Test
    void switchesOffStayCorrect() throws Exception {
        String[][] variants = {
            {"-Dspool.readAhead=false"},
            {"-Dspool.writeBehind=false"},
            {"-Dspool.acceptAhead=false"},
            {"-Dspool.readAhead=false", "-Dspool.writeBehind=false", "-Dspool.acceptAhead=false"},
        };
        List<CompletableFuture<List<String>>> runs = new ArrayList<>();
        for (String[] v : variants) {
            runs.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ConformanceTest.runJvmPublic(List.of(v), FlushScenarios.class.getName(), List.of("all"));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < variants.length; i++) {
            List<String> out = runs.get(i).get(240, TimeUnit.SECONDS);
            String all = String.join("\n", out);
            assertTrue(out.contains("ALL OK"), String.join(" ", variants[i]) + ":\n" + all);
            assertNotNull(all);
        }
    }
}
