package io.spool.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.spool.SpoolSelectorProvider;
import io.spool.sys.Counters;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Batched accept under an LSM (spool.h, SPOOL_FEAT_ACCEPT_LSM): when the
 * module refuses it (EPERM), the spool backend's listeners are served by
 * accept4, every connection kept; when the LSM denies accept4 too, accept
 * throws what the JDK's does. Tagged "spool": in the VM, as root, with the
 * module loaded and the AppArmor profile spool-deny-accept that
 * provider/vm/check-provider.sh loads (kmod/selftests/deny-accept.apparmor).
 * Tagged "module" too: it tests the module itself, so the host's run of
 * the "spool" tests on uring leaves it out.
 */
@Tag("spool")
@Tag("module")
class SpoolAcceptLsmTest {
    static final Path PARAM = Path.of("/sys/module/spool/parameters/unchecked_accept");
    static final String PROFILE = "spool-deny-accept";
    static final int CLIENTS = 20;

    static SelectorProvider spool() throws IOException {
        SelectorProvider p = SelectorProvider.provider();
        assertTrue(p instanceof SpoolSelectorProvider, "the default provider is SPOOL: " + p);
        assertEquals("spool", ((SpoolSelectorProvider) p).backendName());
        return p;
    }

    static void write(Path p, String s) throws IOException {
        try (var ch = Files.newByteChannel(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII)));
        }
    }

    /**
     * spool.unchecked_accept=never: every cycle's batched accept is refused,
     * and the 20 connections all come through accept4, each to its client.
     */
    @Test
    void refusedBatchFallsBackToAccept4() throws Exception {
        SelectorProvider p = spool();
        InetAddress lo = InetAddress.getLoopbackAddress();
        long ahead0 = Counters.ACCEPT_AHEAD.sum();
        long refused0 = Counters.ACCEPT_REFUSED.sum();
        write(PARAM, "never");
        List<Socket> clients = new ArrayList<>();
        List<SocketChannel> server = new ArrayList<>();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), CLIENTS);
            ssc.configureBlocking(false);
            ssc.register(sel, SelectionKey.OP_ACCEPT);
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
            for (int i = 0; i < CLIENTS; i++) {
                Socket s = new Socket(lo, port);
                s.setSoTimeout(20_000);
                clients.add(s);
            }
            long t0 = System.nanoTime();
            while (server.size() < CLIENTS && System.nanoTime() - t0 < 30_000_000_000L) {
                sel.select(1000);
                // as a server does: accept only when the key says so
                for (SelectionKey k : sel.selectedKeys()) {
                    SocketChannel sc;
                    while (k.isAcceptable() && (sc = ssc.accept()) != null) {
                        server.add(sc);
                    }
                }
                sel.selectedKeys().clear();
            }
            assertEquals(CLIENTS, server.size(), "connections accepted");
            assertEquals(ahead0, Counters.ACCEPT_AHEAD.sum(), "connections accepted ahead");
            assertTrue(Counters.ACCEPT_REFUSED.sum() > refused0, "refusals seen");
            // each accepted channel is one client's connection: its port, and a byte through it
            for (SocketChannel sc : server) {
                int peer = ((InetSocketAddress) sc.getRemoteAddress()).getPort();
                Socket c = clients.stream().filter(s -> s.getLocalPort() == peer).findFirst().orElse(null);
                assertNotNull(c, "a client on port " + peer);
                sc.configureBlocking(true);
                sc.write(ByteBuffer.wrap(new byte[] {(byte) peer}));
                InputStream in = c.getInputStream();
                assertEquals(peer & 0xff, in.read());
            }
        } finally {
            write(PARAM, "unconfined");
            for (SocketChannel sc : server) {
                sc.close();
            }
            for (Socket s : clients) {
                s.close();
            }
        }
    }

    /**
     * A thread under the deny-accept profile: the module refuses its batch,
     * and accept4 is denied by AppArmor: accept throws the JDK's exception
     * for it, IOException("Permission denied"). The connection stays queued.
     */
    @Test
    void deniedAccept4ThrowsTheJdksException() throws Exception {
        SelectorProvider p = spool();
        assertTrue(Files.readString(Path.of("/sys/kernel/security/apparmor/profiles"))
                .contains(PROFILE + " ("), "profile " + PROFILE + " loaded");
        InetAddress lo = InetAddress.getLoopbackAddress();
        long refused0 = Counters.ACCEPT_REFUSED.sum();
        try (ServerSocketChannel ssc = p.openServerSocketChannel();
                Socket client = new Socket()) {
            ssc.bind(new InetSocketAddress(lo, 0));
            ssc.configureBlocking(false);
            client.connect(ssc.getLocalAddress());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicReference<Object> accepted = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    // AppArmor confines one task: this thread, until it ends
                    write(Path.of("/proc/thread-self/attr/current"), "changeprofile " + PROFILE);
                    try (Selector sel = p.openSelector()) {
                        ssc.register(sel, SelectionKey.OP_ACCEPT);
                        if (sel.select(10_000) != 1) {
                            accepted.set("no OP_ACCEPT");
                            return;
                        }
                        accepted.set(ssc.accept());
                    }
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join(60_000);
            Throwable e = thrown.get();
            if (e == null) {
                fail("accept under " + PROFILE + " gave " + accepted.get());
            }
            assertSame(IOException.class, e.getClass(), "the JDK's class: " + e);
            assertEquals("Permission denied", e.getMessage());
            assertTrue(Counters.ACCEPT_REFUSED.sum() > refused0, "the batch was refused first");
            // nothing was lost: an unconfined accept takes the connection
            ssc.configureBlocking(true);
            try (SocketChannel sc = ssc.accept()) {
                assertEquals(client.getLocalPort(), ((InetSocketAddress) sc.getRemoteAddress()).getPort());
            }
        }
    }
}
