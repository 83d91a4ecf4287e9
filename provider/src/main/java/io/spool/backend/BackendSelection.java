package io.spool.backend;

import io.spool.sys.NativeErrors;
import io.spool.sys.SpoolAbi;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * Chooses the backend from {@code -Dspool.backend=auto|spool|epoll}
 * (default auto) and logs the choice once through System.Logger.
 * auto takes spool when /dev/spool opens and speaks our ABI version,
 * and epoll otherwise, so that an application never fails for lack of the
 * module; an explicit spool that cannot be had is an error.
 */
public final class BackendSelection {
    public static final String PROPERTY = "spool.backend";
    private static final System.Logger LOG = System.getLogger("io.spool");

    private BackendSelection() {
    }

    /** Chooses a backend for this property value; logs the choice. */
    public static Backend select(String value) throws IOException {
        String v = value == null ? "auto" : value.trim().toLowerCase(java.util.Locale.ROOT);
        switch (v) {
            case "epoll":
                LOG.log(Level.INFO, "SPOOL: backend epoll (" + PROPERTY + "=epoll)");
                return new EpollBackend();
            case "spool": {
                String why = spoolUnavailable();
                if (why == null) {
                    LOG.log(Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=spool)");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                throw new IOException("SPOOL: " + PROPERTY + "=spool but the spool backend is "
                        + "unavailable: " + why);
            }
            case "auto": {
                String why = spoolUnavailable();
                if (why == null) {
                    LOG.log(Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=auto; "
                            + SpoolAbi.DEVICE + " speaks ABI version " + SpoolAbi.SPOOL_ABI_VERSION + ")");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                LOG.log(Level.INFO, "SPOOL: backend epoll (" + PROPERTY + "=auto; spool: " + why + ")");
                return new EpollBackend();
            }
            default:
                throw new IOException("SPOOL: bad " + PROPERTY + "=" + value
                        + " (expected auto, spool or epoll)");
        }
    }

    /** Why the spool backend cannot be used here, or null when it can. */
    static String spoolUnavailable() {
        int v = SpoolAbi.probeVersion();
        if (v < 0) {
            return SpoolAbi.DEVICE + ": " + NativeErrors.message(-v);
        }
        if (v != SpoolAbi.SPOOL_ABI_VERSION) {
            return SpoolAbi.DEVICE + " speaks ABI version " + v + ", this provider "
                    + SpoolAbi.SPOOL_ABI_VERSION;
        }
        return null;
    }
}
