package io.spool;

import io.spool.sys.Config;
import io.spool.sys.Counters;
import java.lang.System.Logger.Level;
import java.util.Map;

/**
 * {@link SpoolProviderMXBean} for one provider, registered as
 * {@code io.spool:type=Provider} by {@link #register}. Registration runs on
 * a daemon thread of its own: the platform MBean server costs about 0.2 s
 * of CPU to create natively (seconds under emulation), which no channel call
 * should wait for, and a JVM without the java.management module (jlink, a
 * module path that does not resolve it) serves all the same.
 */
final class ProviderMetrics implements SpoolProviderMXBean {
    static final String NAME = "io.spool:type=Provider";
    private static boolean started;
    private final SpoolSelectorProvider provider;

    private ProviderMetrics(SpoolSelectorProvider provider) {
        this.provider = provider;
    }

    /** Registers the first serving provider's MXBean, unless spool.jmx=false. */
    static synchronized void register(SpoolSelectorProvider provider) {
        if (started || !Config.get().jmx) {
            return;
        }
        started = true;
        Thread t = new Thread(() -> registerNow(new ProviderMetrics(provider)), "spool-jmx");
        t.setDaemon(true);
        t.start();
    }

    private static void registerNow(ProviderMetrics m) {
        try {
            javax.management.MBeanServer s = java.lang.management.ManagementFactory.getPlatformMBeanServer();
            javax.management.ObjectName n = new javax.management.ObjectName(NAME);
            if (!s.isRegistered(n)) {
                s.registerMBean(m, n);
            }
        } catch (LinkageError | Exception e) {
            // no java.management, a SecurityManager that denies it, another provider's bean
            System.getLogger("io.spool").log(Level.INFO, "SPOOL: no MXBean " + NAME + ": " + e);
        }
    }

    @Override
    public String getBackend() {
        return provider.backendState();
    }

    @Override
    public String getBackendReason() {
        return provider.backendReason();
    }

    @Override
    public Map<String, Long> getCounters() {
        return Counters.snapshot();
    }

    @Override
    public long getSelects() {
        return Counters.SELECTS.sum();
    }

    @Override
    public long getWaits() {
        return Counters.WAITS.sum();
    }

    @Override
    public long getEvents() {
        return Counters.EVENTS.sum();
    }

    @Override
    public double getEventsPerWait() {
        return ratio(Counters.EVENTS.sum(), Counters.WAITS.sum());
    }

    @Override
    public long getNativeCalls() {
        return Counters.NATIVE_CALLS.sum();
    }

    @Override
    public double getNativeCallsPerSelect() {
        return ratio(Counters.NATIVE_CALLS.sum(), Counters.SELECTS.sum());
    }

    /** a / b, 0 before the first b. */
    private static double ratio(long a, long b) {
        return b == 0 ? 0 : (double) a / b;
    }

    @Override
    public long getBytesRead() {
        return Counters.BYTES_READ.sum();
    }

    @Override
    public long getBytesWritten() {
        return Counters.BYTES_WRITTEN.sum();
    }

    @Override
    public long getStagedWrites() {
        return Counters.STAGED_WRITES.sum();
    }

    @Override
    public long getReadsFromMemory() {
        return Counters.READS_FROM_MEMORY.sum();
    }

    @Override
    public long getAcceptsFromMemory() {
        return Counters.ACCEPTS_FROM_MEMORY.sum();
    }

    @Override
    public long getFallbacks() {
        return Counters.FALLBACKS.sum();
    }

    @Override
    public long getErrors() {
        return Counters.ERRORS.sum();
    }
}
