package io.spool.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import io.spool.SpoolSelectorProvider;
import io.spool.backend.Poller;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * What the conformance suite cannot compare, because SPOOL differs on
 * purpose: multicast membership is refused clearly, and the selector
 * registers a datagram channel for readiness only.
 */
class SpoolDatagramChannelTest {
    private final SpoolSelectorProvider provider = new SpoolSelectorProvider();

    @Test
    void joinIsUnsupported() throws Exception {
        InetAddress group = InetAddress.getByName("239.1.2.3");
        NetworkInterface lo = NetworkInterface.getByInetAddress(InetAddress.getByName("127.0.0.1"));
        try (DatagramChannel dc = provider.openDatagramChannel(StandardProtocolFamily.INET)) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> dc.join(group, lo));
            assertTrue(e.getMessage().startsWith("SPOOL: multicast"), e.getMessage());
            assertThrows(UnsupportedOperationException.class,
                    () -> dc.join(group, lo, InetAddress.getByName("127.0.0.1")));
            assertThrows(UnsupportedOperationException.class,
                    () -> dc.socket().joinGroup(new InetSocketAddress(group, 0), lo));
            assertThrows(UnsupportedOperationException.class,
                    () -> dc.socket().leaveGroup(new InetSocketAddress(group, 0), lo));
        }
    }

    @Test
    void selectorRegistersReadinessOnly() throws Exception {
        Poller poller = mock(Poller.class);
        try (SpoolSelector sel = new SpoolSelector(provider, poller);
                DatagramChannel dc = provider.openDatagramChannel()) {
            dc.configureBlocking(false);
            dc.register(sel, SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            sel.selectNow();
            ArgumentCaptor<Integer> flags = ArgumentCaptor.forClass(Integer.class);
            verify(poller, atLeastOnce()).register(anyInt(), anyInt(), flags.capture(), anyLong());
            for (int f : flags.getAllValues()) {
                assertEquals(0, f & (Poller.F_RECV | Poller.F_ACCEPT), "no read-ahead or accept-ahead");
            }
        }
    }
}
