package io.spool.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * The program of issue 10, java.* only, so that it runs on any provider:
 * one selector thread serves two connections. On the first, after the
 * peer's one-byte request, it writes 16 KiB pieces, non-blocking, to a peer
 * with a 4 KiB receive buffer that reads nothing, until write() returns 0;
 * then it closes the channel, still registered (or shuts its output down,
 * then closes it), and times that. The peer starts reading STALL_MS after its request. The
 * second connection is an echo that a client pings every 100 ms the whole
 * time: it shows whether the loop still serves others meanwhile.
 *
 * <pre>
 *   StalledPeer STALL_MS close|shutdownOutput|linger0
 * </pre>
 * Prints: "taken N", "closeMs T", "received M eof|reset|error ...",
 * "crc same|different", "echoes K" (pings answered while the peer stalled),
 * "echoesAfterClose K" (those answered after close() returned),
 * "sndbuf B", and, on SPOOL, "counters {...}".
 */
public final class StalledPeer {
    private StalledPeer() {
    }

    static final int PIECE = 16 << 10;
    /** A peer that reads before its stall is over (a slow start) must not keep the loop writing forever. */
    static final long CAP = 64L << 20;

    public static void main(String[] args) throws Exception {
        long stall = Long.parseLong(args[0]);
        boolean shutdownFirst = args[1].equals("shutdownOutput");
        boolean lingerZero = args[1].equals("linger0");
        SelectorProvider p = SelectorProvider.provider();
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0), 8);
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();

            // the stalled peer: small receive buffer, one request byte, reads after the stall
            Socket peer = new Socket();
            peer.setReceiveBufferSize(4096);
            peer.connect(new InetSocketAddress(lo, port));
            SocketChannel writer = ssc.accept();
            Socket pinger = new Socket(lo, port);
            SocketChannel echo = ssc.accept();

            CRC32 peerCrc = new CRC32();
            long[] received = new long[1];
            String[] end = {"none"};
            long stallEnd = System.nanoTime() + stall * 1_000_000L;
            Thread reader = new Thread(() -> {
                try {
                    OutputStream o = peer.getOutputStream();
                    o.write('R');
                    o.flush();
                    Thread.sleep(stall);
                    InputStream in = peer.getInputStream();
                    byte[] b = new byte[65536];
                    int n;
                    while ((n = in.read(b)) > 0) {
                        peerCrc.update(b, 0, n);
                        received[0] += n;
                    }
                    end[0] = "eof";
                } catch (java.net.SocketException e) {
                    end[0] = e.getMessage() != null && e.getMessage().contains("reset") ? "reset" : "error " + e;
                } catch (Exception e) {
                    end[0] = "error " + e;
                }
            }, "stalled-peer");
            reader.start();

            AtomicInteger echoes = new AtomicInteger();
            AtomicInteger echoesAfterClose = new AtomicInteger();
            java.util.concurrent.atomic.AtomicLong closed = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
            Thread ping = new Thread(() -> {
                try {
                    pinger.setSoTimeout(10_000);
                    OutputStream o = pinger.getOutputStream();
                    InputStream in = pinger.getInputStream();
                    while (System.nanoTime() < stallEnd) {
                        o.write('p');
                        o.flush();
                        if (in.read() != 'p') {
                            return;
                        }
                        echoes.incrementAndGet();
                        if (System.nanoTime() > closed.get()) {
                            echoesAfterClose.incrementAndGet();
                        }
                        Thread.sleep(100);
                    }
                } catch (Exception ignore) {
                    // counted: fewer echoes
                }
            }, "pinger");
            ping.start();

            writer.configureBlocking(false);
            echo.configureBlocking(false);
            SelectionKey wk = writer.register(sel, SelectionKey.OP_READ);
            echo.register(sel, SelectionKey.OP_READ);
            CRC32 written = new CRC32();
            long taken = 0;
            long closeMs = -1;
            byte[] piece = new byte[PIECE];
            long seed = 42;
            int sndbuf = 0;
            ByteBuffer rb = ByteBuffer.allocate(64);
            while (System.nanoTime() < stallEnd || closeMs < 0) {
                sel.select(100);
                for (SelectionKey k : sel.selectedKeys()) {
                    SocketChannel c = (SocketChannel) k.channel();
                    rb.clear();
                    int n = c.read(rb);
                    if (c == echo) {
                        rb.flip();
                        if (n > 0) {
                            c.write(rb);
                        }
                        continue;
                    }
                    if (n <= 0) {
                        continue;
                    }
                    // the request: the response, until the socket takes no more
                    int w;
                    do {
                        for (int i = 0; i < piece.length; i++) {
                            seed = seed * 6364136223846793005L + 1442695040888963407L;
                            piece[i] = (byte) (seed >>> 56);
                        }
                        ByteBuffer b = ByteBuffer.wrap(piece);
                        w = writer.write(b);
                        written.update(piece, 0, w);
                        taken += w;
                    } while (w > 0 && taken < CAP);
                    sndbuf = writer.getOption(StandardSocketOptions.SO_SNDBUF);
                    long t0 = System.nanoTime();
                    if (shutdownFirst) {
                        writer.shutdownOutput();
                    }
                    if (lingerZero) {
                        writer.setOption(StandardSocketOptions.SO_LINGER, 0); // close discards, and resets
                    }
                    writer.close();
                    closeMs = (System.nanoTime() - t0) / 1_000_000L;
                    closed.set(System.nanoTime());
                }
                sel.selectedKeys().clear();
            }
            ping.join(15_000);
            reader.join(stall + 200_000);
            System.out.println("taken " + taken + (taken >= CAP ? " capped: the peer read before its stall ended" : ""));
            System.out.println("closeMs " + closeMs);
            System.out.println("received " + received[0] + " " + end[0]);
            System.out.println("crc " + (peerCrc.getValue() == written.getValue() ? "same" : "different"));
            System.out.println("echoes " + echoes.get());
            System.out.println("echoesAfterClose " + echoesAfterClose.get());
            System.out.println("sndbuf " + sndbuf);
            System.out.println("provider " + p.getClass().getName());
            try {
                Object m = Class.forName("io.spool.sys.Counters").getMethod("snapshot").invoke(null);
                System.out.println("counters " + m);
            } catch (ClassNotFoundException e) {
                // the JDK's provider
            }
            pinger.close();
            peer.close();
        }
        System.out.flush();
        System.exit(0);
    }
}
