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
import io.spool.sys.Privileged;
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
 * {@code -Djava.nio.channels.spi.SelectorProvider=io.spool.SpoolSelectorProvider}
 * or merely with the jar on the class path (its META-INF/services entry).
 * The backend ({@code -Dspool.backend=auto|spool|uring|epoll}) is chosen on first use.
 *
 * <p><b>Declining.</b> With {@code -Dspool.enabled=false}, or where SPOOL
 * cannot run (not Linux, or libc cannot be bound: JNR-FFI is the binding,
 * and where a JNR jar is missing or its native stub cannot load, JDK 22 and
 * later bind libc through the FFM API instead, while 17 to 21 cannot run),
 * a provider that the JDK found through the class path declines, and the
 * JDK's own provider serves: the JDK's lookup (17 to 23) passes over a
 * provider whose constructor throws SecurityException. JDK 24 and later
 * no longer pass over one, and no public API reaches the JDK's provider
 * from here; there a disabled SPOOL serves on its epoll backend, with no
 * batching, as the JDK's would. One log line at WARNING says which.
 */
public final class SpoolSelectorProvider extends SelectorProvider {
    private static final System.Logger LOG = System.getLogger("io.spool");
    private final Object lock = new Object();
    /** Set when SPOOL is disabled but must serve: the epoll backend, which batches nothing. */
    private final String forcedBackend;
    private Backend backend;
    private IOException backendFailure;

    /**
     * @throws IllegalArgumentException a spool.* system property has a bad
     *         value; the message names it and what it takes
     * @throws SecurityException SPOOL declines (see the class comment), and
     *         the JDK's provider serves instead
     */
    public SpoolSelectorProvider() {
        Config c = Config.get();
        String why = c.enabled ? cannotRun() : "spool.enabled=false";
        String forced = null;
        if (why != null) {
            boolean named = SpoolSelectorProvider.class.getName().equals(
                    System.getProperty("java.nio.channels.spi.SelectorProvider"));
            if (!named && Runtime.version().feature() < 24) {
                LOG.log(System.Logger.Level.WARNING, "SPOOL: not serving (" + why
                        + "); the JDK's selector provider serves this JVM");
                throw new SecurityException("SPOOL declines: " + why);
            }
            if (c.enabled) {
                // named explicitly, or JDK 24+: nothing can serve in SPOOL's place
                LOG.log(System.Logger.Level.WARNING, "SPOOL: cannot run (" + why + "); remove the SPOOL jar "
                        + "from the class path, or the SelectorProvider property naming it, to use the JDK's");
            } else {
                LOG.log(System.Logger.Level.WARNING, "SPOOL: spool.enabled=false, but "
                        + (named ? "java.nio.channels.spi.SelectorProvider names SPOOL"
                                : "JDK " + Runtime.version().feature() + " cannot fall back to its own provider")
                        + ": SPOOL serves on its epoll backend, with no batching");
                forced = "epoll";
            }
        }
        this.forcedBackend = forced;
        CountersDump.startIfAsked();
        ProviderMetrics.register(this);
        initialize();
    }

    /**
     * Initializes now, in the JDK's privileged lookup of the provider, the
     * classes that read properties or load JNR's when first used: under a
     * SecurityManager, their first use may come from code that may not.
     */
    private static void initialize() {
        ClassLoader l = SpoolSelectorProvider.class.getClassLoader();
        for (String c : new String[] {"io.spool.sys.Errno", "io.spool.sys.Linux", "io.spool.sys.Sockets"}) {
            try {
                Class.forName(c, true, l);
            } catch (ClassNotFoundException | LinkageError e) {
                return; // cannot run: the first call says why
            }
        }
    }

    /**
     * Why SPOOL cannot run in this JVM, or null. libc is bound through
     * JNR-FFI, else, on JDK 22 and later, through the FFM API (so a missing
     * JNR jar is no reason there); {@code io.spool.sys.Native.Binding}
     * chooses, once, and says why neither works.
     */
    private static String cannotRun() {
        if (!System.getProperty("os.name", "").equals("Linux")) {
            return "not Linux: " + System.getProperty("os.name");
        }
        try {
            return io.spool.sys.Native.Binding.why();
        } catch (LinkageError e) {
            return "cannot bind libc: " + e;
        }
    }

    private Backend backend() throws IOException {
        synchronized (lock) {
            if (backend == null && backendFailure == null) {
                try {
                    // opens /dev/spool, logs: with SPOOL's permissions, whoever calls
                    backend = Privileged.io(() -> BackendSelection.select(
                            forcedBackend != null ? forcedBackend : Config.get().backend));
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

    /** For the MXBean, without choosing: the backend's name, "none yet" or "failed". */
    String backendState() {
        synchronized (lock) {
            return backend != null ? backend.name() : backendFailure != null ? "failed" : "none yet";
        }
    }

    /** For the MXBean: the line that logged the choice, or the failure. */
    String backendReason() {
        synchronized (lock) {
            if (backendFailure != null) {
                return backendFailure.getMessage();
            }
            if (backend == null) {
                return "chosen on first use";
            }
            if (forcedBackend != null) {
                return "SPOOL: backend " + forcedBackend + " (spool.enabled=false, and nothing else can serve)";
            }
            BackendSelection.Choice c = BackendSelection.last();
            return c != null ? c.why() : "";
        }
    }

    /** The backend in use: "spool", "uring" or "epoll" (chooses it if not done yet). */
    public String backendName() throws IOException {
        return backend().name();
    }

    /** The provider's counters: native calls, selects, waits, events, ... */
    public static Map<String, Long> counters() {
        return Counters.snapshot();
    }

    @Override
    public AbstractSelector openSelector() throws IOException {
        Backend b = backend();
        return Privileged.io(() -> new SpoolSelector(this, b.openPoller()));
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
        if (family == StandardProtocolFamily.INET || family == StandardProtocolFamily.INET6
                || family == StandardProtocolFamily.UNIX) {
            return family;
        }
        throw new UnsupportedOperationException("Protocol family not supported");
    }
}
