package io.spool.compat.soak;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.SelectorProvider;

/**
 * Reproducer of what the soak saw on the spool backend: a peer that resets
 * the connection (SO_LINGER 0) right after the server wrote to it, on the
 * selector's thread between two selects, shows up at the server as a clean
 * EOF (read returns -1) instead of "Connection reset" as on the JDK's
 * provider. With write-behind the write is staged; the next select's cycle
 * sends it, that send gets the socket's ECONNRESET (which the kernel reports
 * once), and the read that follows finds only the end of the stream.
 *
 * <pre>java [-Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider]
 *     [-Dspool.writeBehind=false] --add-exports java.base/sun.nio.ch=ALL-UNNAMED
 *     -cp ... io.spool.compat.soak.ResetAfterWrite</pre>
 *
 * Prints one "RESULT ..." line: the JDK's provider (and SPOOL without
 * write-behind) give an IOException "Connection reset".
 */
public final class ResetAfterWrite {
    private ResetAfterWrite() {
    }

    public static void main(String[] args) throws Exception {
        SelectorProvider jdk = SoakMain.jdkProvider();
        if (jdk == null) {
            jdk = SelectorProvider.provider();
        }
        Selector sel = Selector.open();
        ServerSocketChannel ss = ServerSocketChannel.open();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        ss.configureBlocking(false);
        ss.register(sel, SelectionKey.OP_ACCEPT);
        SocketChannel c = jdk.openSocketChannel();
        c.connect(ss.getLocalAddress());
        SocketChannel s = null;
        while (s == null) {
            sel.select(1000);
            sel.selectedKeys().clear();
            s = ss.accept();
        }
        s.configureBlocking(false);
        s.register(sel, SelectionKey.OP_READ);
        c.write(ByteBuffer.wrap(new byte[] {42}));
        ByteBuffer b = ByteBuffer.allocateDirect(16);
        while (b.position() == 0) {
            sel.select(1000);
            sel.selectedKeys().clear();
            if (s.read(b) < 0) {
                System.out.println("RESULT unexpected EOF before the reset");
                return;
            }
        }
        b.flip();
        int w = s.write(b);                  // the echo, between two selects
        c.setOption(StandardSocketOptions.SO_LINGER, 0);
        c.close();                           // the peer resets
        Thread.sleep(300);
        int n = sel.select(1000);
        sel.selectedKeys().clear();
        b.clear();
        String what;
        try {
            int r = s.read(b);
            what = "read returned " + r + (r < 0 ? " (EOF: the reset was lost)" : "");
        } catch (IOException e) {
            what = "read threw " + e;
        }
        System.out.println("RESULT provider " + sel.provider().getClass().getSimpleName()
                + ", writeBehind=" + System.getProperty("spool.writeBehind", "default")
                + ": wrote " + w + ", select " + n + ", then " + what);
        s.close();
        ss.close();
        sel.close();
    }
}
