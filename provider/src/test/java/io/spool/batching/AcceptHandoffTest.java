package io.spool.batching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.SpoolSelectorProvider;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A boss thread that selects OP_ACCEPT and hands each connection to a
 * worker's selector, as Netty does, while clients connect at once and send
 * at once. On the uring backend a select whose poll handed a connection over
 * (accept-ahead) but reported no descriptor waited again, untimed, with the
 * connection in the accept queue: a fresh Netty server left two of wrk's
 * connections unanswered for seconds. Every connection must be answered,
 * in every round.
 */
class AcceptHandoffTest {
    static final int ROUNDS = 20;

    @Test
    void everyConnectionHandedToAWorkerIsAnswered() throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        assertTrue(p instanceof SpoolSelectorProvider, "the default provider is SPOOL: " + p);
        ExecutorService clients = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "handoff-client");
            t.setDaemon(true);
            return t;
        });
        try {
            for (int round = 0; round < ROUNDS; round++) {
                int conns = 2 + round % 7;
                assertEquals(conns, round(p, conns, clients), "round " + round + ": connections answered of " + conns);
            }
        } finally {
            clients.shutdownNow();
        }
    }

    /** One server (a boss and two workers), conns clients; returns how many got their echo within 10 s. */
    private static int round(SelectorProvider p, int conns, ExecutorService clients) throws Exception {
        try (ServerSocketChannel ss = p.openServerSocketChannel(); Selector boss = p.openSelector();
                Worker w0 = new Worker(p); Worker w1 = new Worker(p)) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ss.configureBlocking(false);
            ss.register(boss, SelectionKey.OP_ACCEPT);
            Worker[] ws = {w0, w1};
            Thread bt = new Thread(() -> {
                int n = 0;
                try {
                    while (boss.isOpen()) {
                        boss.select();
                        boss.selectedKeys().clear();
                        SocketChannel c;
                        while ((c = ss.accept()) != null) {
                            ws[n++ % ws.length].hand(c);
                        }
                    }
                } catch (Exception e) {
                    // closed at the end of the round
                }
            }, "handoff-boss");
            bt.setDaemon(true);
            bt.start();
            List<SocketChannel> cs = new ArrayList<>();
            try {
                for (int i = 0; i < conns; i++) {
                    cs.add(SocketChannel.open(ss.getLocalAddress()));
                }
                for (SocketChannel c : cs) {
                    c.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                }
                List<Future<Boolean>> fs = new ArrayList<>();
                for (SocketChannel c : cs) {
                    fs.add(clients.submit(() -> {
                        ByteBuffer b = ByteBuffer.allocate(5);
                        while (b.hasRemaining()) {
                            if (c.read(b) < 0) {
                                return false;
                            }
                        }
                        return new String(b.array(), StandardCharsets.US_ASCII).equals("hello");
                    }));
                }
                int ok = 0;
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                for (Future<Boolean> f : fs) {
                    try {
                        if (f.get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                            ok++;
                        }
                    } catch (java.util.concurrent.TimeoutException e) {
                        // unanswered
                    }
                }
                return ok;
            } finally {
                for (SocketChannel c : cs) {
                    c.close();
                }
                boss.close();
                bt.join(10_000);
            }
        }
    }

    /** A worker: its own selector and thread; connections come through a queue and a wakeup. */
    static final class Worker implements AutoCloseable {
        final Selector sel;
        final ConcurrentLinkedQueue<SocketChannel> queue = new ConcurrentLinkedQueue<>();
        final Thread thread;

        Worker(SelectorProvider p) throws Exception {
            sel = p.openSelector();
            thread = new Thread(this::run, "handoff-worker");
            thread.setDaemon(true);
            thread.start();
        }

        void hand(SocketChannel c) {
            queue.add(c);
            sel.wakeup();
        }

        private void run() {
            ByteBuffer b = ByteBuffer.allocate(4096);
            try {
                while (sel.isOpen()) {
                    SocketChannel c;
                    while ((c = queue.poll()) != null) {
                        c.configureBlocking(false);
                        c.register(sel, 0).interestOps(SelectionKey.OP_READ); // as Netty: 0, then OP_READ
                    }
                    sel.select();
                    for (SelectionKey k : sel.selectedKeys()) {
                        SocketChannel sc = (SocketChannel) k.channel();
                        b.clear();
                        if (sc.read(b) < 0) {
                            sc.close();
                            continue;
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            sc.write(b);
                        }
                    }
                    sel.selectedKeys().clear();
                }
            } catch (Exception e) {
                // closed at the end of the round
            }
        }

        @Override
        public void close() throws Exception {
            sel.close();
            thread.join(10_000);
            SocketChannel c;
            while ((c = queue.poll()) != null) {
                c.close();
            }
        }
    }
}
