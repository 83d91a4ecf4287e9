package io.spool.channels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.Mockito.atLeastOnce;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;

import io.spool.SpoolSelectorProvider;
import io.spool.backend.Poller;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * What the conformance suite cannot compare: the selector registers a
 * datagram channel for readiness only.
 */
class SpoolDatagramChannelTest {
    private final SpoolSelectorProvider provider = new SpoolSelectorProvider();

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
