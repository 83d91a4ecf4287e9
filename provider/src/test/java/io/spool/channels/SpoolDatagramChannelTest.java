package io.spool.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import io.spool.SpoolSelectorProvider;
import io.spool.backend.Poller;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.DatagramSocket;
import java.net.MulticastSocket;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * What the conformance suite cannot compare: the selector registers a
 * datagram channel for readiness only, and the socket adaptor, which
 * extends MulticastSocket with a closed socket of the JDK's underneath,
 * overrides every public method, so that none reaches that socket.
 */
class SpoolDatagramChannelTest {
    private final SpoolSelectorProvider provider = new SpoolSelectorProvider();

    @Test
    void theAdaptorOverridesEveryPublicMethod() throws Exception {
        try (DatagramChannel dc = provider.openDatagramChannel(StandardProtocolFamily.INET)) {
            assertTrue(dc.socket() instanceof MulticastSocket);
            List<String> missing = new ArrayList<>();
            for (Class<?> c : new Class<?>[] {DatagramSocket.class, MulticastSocket.class}) {
                for (Method m : c.getDeclaredMethods()) {
                    if (!Modifier.isPublic(m.getModifiers()) || Modifier.isStatic(m.getModifiers())) {
                        continue;
                    }
                    try {
                        SpoolDatagramSocketAdaptor.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                    } catch (NoSuchMethodException e) {
                        missing.add(m.toString());
                    }
                }
            }
            assertEquals(List.of(), missing);
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
