package io.spool;

import io.spool.backend.Backend;
import io.spool.backend.BackendSelection;
import io.spool.sys.Config;
import io.spool.channels.Inherited;
import io.spool.channels.SpoolDatagramChannel;
import io.spool.channels.SpoolPipe;
import io.spool.channels.SpoolSelector;
import io.spool.channels.SpoolServerSocketChannel;
import io.spool.channels.SpoolSocketChannel;
import io.spool.sys.Counters;
import io.spool.sys.Sockets;
import java.io.IOException;
import java.net.ProtocolFamily;
import java.net.StandardProtocolFamily;
import java.nio.channels.Channel;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Map;
import java.util.Objects;

/**
 * The SPOOL selector provider. Use it, unchanged code and all, with
 * {@code -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider}.
 * The backend ({@code -Dspool.backend=auto|spool|epoll}) is chosen on first use.
 */
public final class SpoolSelectorProvider extends SelectorProvider {
    private final Object lock = new Object();
    private Backend backend;
    private IOException backendFailure;

    /**
     * @throws IllegalArgumentException a spool.* system property has a bad
     *         value; the message names it and what it takes
     */
    public SpoolSelectorProvider() {
        Config.get();
        CountersDump.installIfAsked();
    }

    private Backend backend() throws IOException {
        synchronized (lock) {
            if (backend == null && backendFailure == null) {
                try {
                    backend = BackendSelection.select(Config.get().backend);
                } catch (IOException e) {
                    backendFailure = e;
                }
            }
            if (backendFailure != null) {
                throw new IOException(backendFailure.getMessage(), backendFailure);
            }
            return backend;
        }
    }

    /** The backend in use: "epoll" or "spool" (chooses it if not done yet). */
    public String backendName() throws IOException {
        return backend().name();
    }

    /** The provider's counters: native calls, selects, waits, events, ... */
    public static Map<String, Long> counters() {
        return Counters.snapshot();
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        return new SpoolSelector(this, backend().openPoller());
    }

    @Override
    public ServerSocketChannel openServerSocketChannel() throws IOException {
        return openServerSocketChannel(defaultFamily());
    }

    @Override
    public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
        return new SpoolServerSocketChannel(this, checkFamily(family));
    }

    @Override
    public SocketChannel openSocketChannel() throws IOException {
        return openSocketChannel(defaultFamily());
    }

    @Override
    public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
        return new SpoolSocketChannel(this, checkFamily(family));
    }

    @Override
    public Pipe openPipe() throws IOException {
        return new SpoolPipe(this);
    }

    @Override
    public DatagramChannel openDatagramChannel() throws IOException {
        return openDatagramChannel(defaultFamily());
    }

    @Override
    public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
        return new SpoolDatagramChannel(this, family);
    }

    /** As the JDK's: a socket on fd 0 becomes a channel (see {@link Inherited}). */
    @Override
    public Channel inheritedChannel() throws IOException {
        return Inherited.get(this);
    }

    /** As the JDK's: IPv6 (dual-stack) sockets, unless IPv6 is not available or not wanted. */
    private static ProtocolFamily defaultFamily() {
        return Sockets.ipv6Available() ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
    }

    private static ProtocolFamily checkFamily(ProtocolFamily family) {
        Objects.requireNonNull(family, "'family' is null");
        if (family == StandardProtocolFamily.INET6 && !Sockets.ipv6Available()) {
            throw new UnsupportedOperationException("IPv6 not available");
        }
        if (family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6) {
            return family;
        }
        if ("UNIX".equals(family.name())) {
            throw new UnsupportedOperationException("SPOOL: UNIX domain sockets are not supported yet");
        }
        throw new UnsupportedOperationException("Protocol family not supported");
    }
}
