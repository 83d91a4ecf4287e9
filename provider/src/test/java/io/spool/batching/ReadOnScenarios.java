package io.spool.batching;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * What a read returns when the peer's bytes are more than, or exactly, one
 * receive ahead takes ({@code -Dspool.recvMax=1000} on SPOOL): a peer writes
 * them in one write (and resets the connection after them, or not), the
 * selector reports the channel readable, and the channel reads into 8 KiB
 * until end of stream, nothing, or an exception. Only JDK classes: the same
 * main runs on the JDK's provider, whose output is the expected one.
 */
public final class ReadOnScenarios {
    private ReadOnScenarios() {
    }

    static String run(SelectorProvider p, int bytes, boolean reset) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel ssc = p.openServerSocketChannel(); Selector sel = p.openSelector()) {
            ssc.bind(new InetSocketAddress(lo, 0));
            int port = ((InetSocketAddress) ssc.getLocalAddress()).getPort();
            try (Socket peer = new Socket(lo, port); SocketChannel ch = ssc.accept()) {
                ch.configureBlocking(false);
                ch.register(sel, SelectionKey.OP_READ);
                byte[] data = FlushScenarios.pattern(bytes);
                peer.getOutputStream().write(data);
                if (reset) {
                    peer.setSoLinger(true, 0);
                    peer.close(); // RST after the bytes
                }
                Thread.sleep(200); // all of it in ch's receive queue before the select
                if (sel.select(5000) != 1) {
                    return "not readable";
                }
                List<String> reads = new ArrayList<>();
                ByteBuffer b = ByteBuffer.allocate(8192);
                for (int i = 0; i < 5; i++) {
                    int n;
                    try {
                        n = ch.read(b);
                    } catch (IOException e) {
                        reads.add(e.getClass().getSimpleName() + "(" + e.getMessage() + ")");
                        break;
                    }
                    reads.add(Integer.toString(n));
                    if (n <= 0) {
                        break;
                    }
                }
                b.flip();
                ByteBuffer want = ByteBuffer.wrap(data, 0, Math.min(bytes, b.remaining()));
                return String.join(" ", reads) + (b.equals(want) ? "" : " (other bytes)");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        System.out.println("more " + run(p, 3000, false));
        System.out.println("exact " + run(p, 1000, false));
        System.out.println("more+reset " + run(p, 3000, true));
        System.out.println("exact+reset " + run(p, 1000, true));
        System.out.println("DONE");
    }
}
