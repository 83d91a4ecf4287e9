package io.spool.backend;

import io.spool.sys.Errno;
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
                String why = spoolUnavailable(SpoolAbi.probeVersion());
                if (why == null) {
                    LOG.log(Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=spool)");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                throw new IOException("SPOOL: " + PROPERTY + "=spool but the spool backend is "
                        + "unavailable: " + why);
            }
            case "auto": {
                int probe = SpoolAbi.probeVersion();
                String why = spoolUnavailable(probe);
                if (why == null) {
                    LOG.log(Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=auto; "
                            + SpoolAbi.DEVICE + " speaks ABI version " + SpoolAbi.SPOOL_ABI_VERSION + ")");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                LOG.log(fallbackLevel(probe), fallbackMessage(probe, why));
                return new EpollBackend();
            }
            default:
                throw new IOException("SPOOL: bad " + PROPERTY + "=" + value
                        + " (expected auto, spool or epoll)");
        }
    }

    /**
     * How loud a fallback of auto to epoll is: INFO when the module is
     * simply not loaded (no /dev/spool, or a node without its driver),
     * which is the normal case where it is not installed; WARNING for any
     * other cause (no permission, an ABI mismatch, an error), which an
     * operator must fix to get what was installed.
     */
    static Level fallbackLevel(int probe) {
        return probe == -Errno.ENOENT || probe == -Errno.ENXIO || probe == -Errno.ENODEV ? Level.INFO : Level.WARNING;
    }

    /** The fallback's log line: the cause, and for a WARNING the fix. */
    static String fallbackMessage(int probe, String why) {
        String m = "SPOOL: backend epoll (" + PROPERTY + "=auto; spool: " + why + ")";
        if (fallbackLevel(probe) == Level.INFO) {
            return m;
        }
        String fix;
        if (probe == -Errno.EACCES || probe == -Errno.EPERM) {
            fix = "give this user read and write access to " + SpoolAbi.DEVICE + " (its group or mode)";
        } else if (probe >= 0) {
            fix = "load the spool.ko built from the same tree as this jar";
        } else {
            fix = "see the kernel log (dmesg) for the module's state";
        }
        return m + ": SPOOL runs without batching; to fix, " + fix;
    }

    /** Why the spool backend cannot be used here (probe: SpoolAbi.probeVersion()), or null when it can. */
    static String spoolUnavailable(int probe) {
        int v = probe;
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
