package io.spool;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;
import javax.management.ObjectName;

/**
 * For {@link ProviderMXBeanTest}, in a JVM of its own on SPOOL: an echo
 * server on a selector thread and a client that sends 100 bytes every 5 ms
 * and reads them back, until stdin closes. Prints "backend NAME", then
 * "ready PID" once the MXBean is registered.
 */
public final class MetricsProbe {
    private MetricsProbe() {
    }

    public static void main(String[] args) throws Exception {
        SelectorProvider p = SelectorProvider.provider();
        Selector sel = p.openSelector();
        ServerSocketChannel ss = p.openServerSocketChannel();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ss.configureBlocking(false);
        ss.register(sel, SelectionKey.OP_ACCEPT);
        Thread loop = new Thread(() -> serve(sel), "echo-loop");
        loop.setDaemon(true);
        loop.start();
        System.out.println("backend " + ((SpoolSelectorProvider) p).backendName());
        ObjectName n = new ObjectName("io.spool:type=Provider");
        long end = System.nanoTime() + 60_000_000_000L;
        while (!ManagementFactory.getPlatformMBeanServer().isRegistered(n) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        System.out.println((ManagementFactory.getPlatformMBeanServer().isRegistered(n) ? "ready " : "absent ")
                + ProcessHandle.current().pid());
        System.out.flush();
        Thread client = new Thread(() -> {
            try (SocketChannel c = p.openSocketChannel()) {
                c.connect(ss.getLocalAddress());
                ByteBuffer out = ByteBuffer.allocate(100);
                ByteBuffer in = ByteBuffer.allocate(100);
                while (true) {
                    out.clear();
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                    in.clear();
                    while (in.hasRemaining()) {
                        if (c.read(in) < 0) {
                            return;
                        }
                    }
                    Thread.sleep(5);
                }
            } catch (Exception e) {
                System.out.println("client " + e);
            }
        }, "echo-client");
        client.setDaemon(true);
        client.start();
        while (System.in.read() >= 0) {
            // until the test closes our stdin
        }
    }

    private static void serve(Selector sel) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (true) {
                sel.select();
                for (SelectionKey k : sel.selectedKeys()) {
                    if (k.isAcceptable()) {
                        SocketChannel c = ((ServerSocketChannel) k.channel()).accept();
                        if (c != null) {
                            c.configureBlocking(false);
                            c.register(sel, SelectionKey.OP_READ);
                        }
                    } else if (k.isReadable()) {
                        SocketChannel c = (SocketChannel) k.channel();
                        b.clear();
                        if (c.read(b) < 0) {
                            c.close();
                            continue;
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            c.write(b);
                        }
                    }
                }
                sel.selectedKeys().clear();
            }
        } catch (Exception e) {
            System.out.println("server " + e);
        }
    }
}
