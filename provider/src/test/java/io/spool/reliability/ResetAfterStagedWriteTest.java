package io.spool.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spool.SpoolSelectorProvider;
import io.spool.sys.Counters;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Found by the soak: a peer that resets right
 * after the server wrote to it between two selects. The write is staged; the
 * next cycle's send takes the socket's one-time ECONNRESET, after which
 * recv(2) reports only end of stream. The read must still throw "Connection
 * reset", as on the JDK's provider (whose write went out before the reset):
 * it used to return -1, a clean EOF.
 */
@Tag("spool")
class ResetAfterStagedWriteTest {
    @Test
    void aResetTakenByTheStagedSendIsReportedByTheNextRead() throws Exception {
        SelectorProvider p = new SpoolSelectorProvider();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Selector sel = p.openSelector(); ServerSocketChannel ss = p.openServerSocketChannel();
                Socket peer = new Socket()) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            ss.configureBlocking(false);
            ss.register(sel, SelectionKey.OP_ACCEPT);
            peer.connect(ss.getLocalAddress());
            SocketChannel accepted = null;
            while (accepted == null && System.nanoTime() < deadline) {
                sel.select(1000);
                sel.selectedKeys().clear();
                accepted = ss.accept();
            }
            assertNotNull(accepted, "accepted");
            try (SocketChannel s = accepted) {
                s.configureBlocking(false);
                s.register(sel, SelectionKey.OP_READ);
                peer.getOutputStream().write(42);
                ByteBuffer b = ByteBuffer.allocateDirect(16);
                while (b.position() == 0 && System.nanoTime() < deadline) {
                    sel.select(1000);
                    sel.selectedKeys().clear();
                    assertTrue(s.read(b) >= 0, "no EOF before the reset");
                }
                b.flip();
                long staged = Counters.STAGED_WRITES.sum();
                assertEquals(1, s.write(b)); // the selector's thread, between two selects
                assertTrue(Counters.STAGED_WRITES.sum() > staged, "the reply was staged");
                peer.setSoLinger(true, 0);
                peer.close(); // RST
                Thread.sleep(300);
                sel.select(1000); // its cycle sends the staged byte, and meets the reset
                sel.selectedKeys().clear();
                b.clear();
                IOException e = assertThrows(IOException.class, () -> s.read(b));
                assertEquals("Connection reset", e.getMessage());
            }
        }
    }
}
