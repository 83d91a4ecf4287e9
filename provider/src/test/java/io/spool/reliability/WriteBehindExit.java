package io.spool.reliability;

import io.spool.sys.Counters;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.Random;

/**
 * The child JVM of {@link WriteBehindLossTest#stagedBytesSurviveSystemExit}:
 * connects to the parent, writes a random payload on the selecting thread
 * (its last writes staged), and calls System.exit without closing anything.
 *
 * <pre>
 *   WriteBehindExit between PORT SEED BYTES   exit on the selecting thread, right after staging
 *   WriteBehindExit other PORT SEED BYTES     exit from another thread while the selecting
 *                                             thread sits in select() with bytes it cannot send
 * </pre>
 * Prints "staged N total BYTES" (N: staged writes of the last write) before exiting.
 */
public final class WriteBehindExit {
    private WriteBehindExit() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        int port = Integer.parseInt(args[1]);
        long seed = Long.parseLong(args[2]);
        int total = Integer.parseInt(args[3]);
        byte[] data = StagedWriter.payload(seed, total);
        Random rnd = new Random(seed + 1);
        SelectorProvider p = SelectorProvider.provider();
        Selector sel = p.openSelector();
        SocketChannel ch = p.openSocketChannel();
        ch.setOption(StandardSocketOptions.SO_SNDBUF, 8192);
        ch.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        ch.configureBlocking(false);
        SelectionKey key = ch.register(sel, SelectionKey.OP_READ);
        sel.selectNow();
        StagedWriter.pump(ch, key, sel, data, 0, total - 100, rnd);
        // the last 100 bytes: one write, staged (the selecting thread, between selects, after a
        // select that found the socket writable and so reported its send room)
        key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
        sel.select(1000);
        sel.selectedKeys().clear();
        key.interestOps(SelectionKey.OP_READ);
        long s0 = Counters.STAGED_WRITES.sum();
        int n = 0;
        while (n < 100) {
            int w = ch.write(java.nio.ByteBuffer.wrap(data, total - 100 + n, 100 - n));
            if (w == 0) {
                key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                sel.select(1000);
                sel.selectedKeys().clear();
                s0 = Counters.STAGED_WRITES.sum();
            }
            n += w;
        }
        long staged = Counters.STAGED_WRITES.sum() - s0;
        System.out.println("staged " + staged + " total " + total);
        System.out.flush();
        if (mode.equals("between")) {
            System.exit(0);
        }
        // "other": this thread goes on selecting; another thread ends the JVM
        Thread exiter = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignore) {
                // exit now
            }
            System.exit(0);
        }, "exiter");
        exiter.start();
        key.interestOps(SelectionKey.OP_READ);
        for (;;) {
            sel.select(500);
            sel.selectedKeys().clear();
        }
    }
}
