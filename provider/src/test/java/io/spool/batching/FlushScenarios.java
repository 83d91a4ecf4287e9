package io.spool.batching;

import io.spool.sys.Counters;
import java.io.InputStream;
import java.io.OutputStream;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Write-behind flush scenarios, run in the test JVM and in forked JVMs
 * (with batching switches off, or ending in System.exit).
 *
 * <pre>
 *   FlushScenarios all          every scenario; prints "ALL OK" at the end
 *   FlushScenarios exit PORT    connects, stages bytes, System.exit(0)
 * </pre>
 */
public final class FlushScenarios {
    static final int BYTES = 40_000;
    /**
     * The peers block in socket reads and writes, so each gets its own thread: on JDK 25 the
     * default async pool of a 2-core machine has one thread, and a reader waiting there for a
     * writer queued behind it never returns.
     */
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "flush-peer");
        t.setDaemon(true);
        return t;
    });
    static final int EXIT_BYTES = 60_000;

    private FlushScenarios() {
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i % 251);
        }
        return b;
    }

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    /**
     * Writes BYTES on the selecting thread (staged when write-behind is on),
     * then closes, shuts down output, or deregisters and switches to blocking
     * mode; the peer must receive every byte, in order.
     */
    static void run(SelectorProvider p, String how, boolean expectStaged) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        boolean writeBehind = !"false".equals(System.getProperty("spool.writeBehind"));
        try (ServerSocket ss = new ServerSocket(0, 5, lo); Selector sel = p.openSelector()) {
            SocketChannel ch = p.openSocketChannel();
            ch.connect(new InetSocketAddress(lo, ss.getLocalPort()));
            ss.setSoTimeout(30_000);
            Socket peer = ss.accept();
            peer.setSoTimeout(30_000);
            int total = BYTES + ("configureBlocking".equals(how) ? 1000 : 0);
            CompletableFuture<byte[]> got = CompletableFuture.supplyAsync(() -> {
                try {
                    return peer.getInputStream().readAllBytes();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }, THREADS);
            byte[] all = pattern(total);
            ch.configureBlocking(false);
            long staged0 = Counters.STAGED_WRITES.sum();
            if ("configureBlocking".equals(how)) {
                SelectionKey key = ch.register(sel, SelectionKey.OP_WRITE);
                int[] n = new int[1];
                sel.select(k -> {
                    try {
                        n[0] = ch.write(ByteBuffer.wrap(all, 0, BYTES));
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                    k.cancel(); // deregistered at the end of this select, bytes still staged
                }, 5000);
                check(n[0] == BYTES, how + ": non-blocking write took " + n[0]);
                check(!key.isValid() && !ch.isRegistered(), how + ": deregistered");
                ch.configureBlocking(true);
                ByteBuffer rest = ByteBuffer.wrap(all, BYTES, 1000);
                while (rest.hasRemaining()) {
                    ch.write(rest);
                }
                ch.close();
            } else {
                // this thread selects, and the socket is writable: the cycle reports its send
                // room, so a write that fits it is staged
                ch.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                sel.selectNow();
                sel.selectedKeys().clear();
                int n = ch.write(ByteBuffer.wrap(all));
                check(n == BYTES, how + ": non-blocking write took " + n);
                if ("close".equals(how)) {
                    ch.close();
                } else {
                    ch.shutdownOutput();
                }
            }
            if (expectStaged && writeBehind) {
                check(Counters.STAGED_WRITES.sum() > staged0, how + ": the write was staged");
            }
            byte[] r = got.get(60, TimeUnit.SECONDS);
            check(Arrays.equals(all, r), how + ": peer got " + r.length + " of " + total + " bytes"
                    + (r.length == total ? " (different)" : ""));
            ch.close();
            peer.close();
        }
    }

    /** The textbook echo loop, 20 clients of 20 KB each, replies written on the selector thread. */
    static void echo(SelectorProvider p) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), 50);
            ssc.configureBlocking(false);
            ssc.register(sel, SelectionKey.OP_ACCEPT);
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
            List<CompletableFuture<Boolean>> clients = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int seed = i;
                clients.add(CompletableFuture.supplyAsync(() -> {
                    try (Socket s = new Socket(lo, port)) {
                        s.setSoTimeout(30_000);
                        byte[] d = new byte[20_000];
                        new Random(seed).nextBytes(d);
                        OutputStream out = s.getOutputStream();
                        CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                            try {
                                out.write(d);
                                s.shutdownOutput();
                            } catch (Exception e) {
                                throw new RuntimeException(e);
                            }
                        }, THREADS);
                        InputStream in = s.getInputStream();
                        byte[] back = in.readNBytes(d.length);
                        w.get();
                        return Arrays.equals(d, back) && in.read() == -1;
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, THREADS));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!clients.stream().allMatch(CompletableFuture::isDone) && System.nanoTime() < deadline) {
                sel.select(100);
                Iterator<SelectionKey> it = sel.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey k = it.next();
                    it.remove();
                    if (!k.isValid()) {
                        continue;
                    }
                    if (k.isAcceptable()) {
                        SocketChannel c;
                        while ((c = ssc.accept()) != null) {
                            c.configureBlocking(false);
                            c.register(sel, SelectionKey.OP_READ, ByteBuffer.allocate(8192));
                        }
                    } else if (k.isReadable() || k.isWritable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        ByteBuffer b = (ByteBuffer) k.attachment();
                        int n = k.isReadable() ? c.read(b) : 0;
                        if (n < 0 && b.position() == 0) {
                            k.cancel();
                            c.close();
                            continue;
                        }
                        b.flip();
                        c.write(b);
                        b.compact();
                        k.interestOps(b.position() > 0 ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
                    }
                }
            }
            for (CompletableFuture<Boolean> f : clients) {
                check(f.isDone() && f.get(), "echo: a client got other bytes back");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        if ("exit".equals(args[0])) {
            InetAddress lo = InetAddress.getLoopbackAddress();
            Selector sel = p.openSelector();
            SocketChannel ch = p.openSocketChannel();
            ch.connect(new InetSocketAddress(lo, Integer.parseInt(args[1])));
            ch.configureBlocking(false);
            ch.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            sel.selectNow(); // writable: the cycle reports the send room
            long s0 = Counters.STAGED_WRITES.sum();
            int n = ch.write(ByteBuffer.wrap(pattern(EXIT_BYTES)));
            System.out.println(Counters.STAGED_WRITES.sum() > s0 ? "staged " + n : "not staged " + n);
            System.out.flush();
            System.exit(0);
        }
        for (String how : new String[] {"close", "shutdownOutput", "configureBlocking"}) {
            run(p, how, false);
            System.out.println("ok " + how);
        }
        echo(p);
        System.out.println("ok echo");
        System.out.println("counters " + io.spool.SpoolSelectorProvider.counters());
        System.out.println("ALL OK");
        System.out.flush();
        System.exit(0);
    }
}
