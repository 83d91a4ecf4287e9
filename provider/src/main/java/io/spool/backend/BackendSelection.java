package io.spool.backend;

import io.spool.sys.Errno;
import io.spool.sys.NativeErrors;
import io.spool.sys.SpoolAbi;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * Chooses the backend from {@code -Dspool.backend=auto|spool|uring|epoll}
 * (default auto) and logs the choice once through System.Logger.
 * auto takes spool when /dev/spool opens and speaks our ABI version, then
 * uring when the kernel gives this process an io_uring with what the
 * backend needs (6.1 or later), and epoll otherwise, so that an
 * application never fails for lack of the module or of io_uring; each step
 * down is logged with its reason. An explicit spool or uring that cannot
 * be had is an error.
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
            case "uring": {
                String why = UringBackend.unavailable();
                if (why == null) {
                    LOG.log(Level.INFO, "SPOOL: backend uring (" + PROPERTY + "=uring)");
                    return new UringBackend();
                }
                throw new IOException("SPOOL: " + PROPERTY + "=uring but the uring backend is "
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
                String uring = UringBackend.unavailable();
                if (uring == null) {
                    LOG.log(fallbackLevel(probe), fallbackMessage(probe, why, "uring", null));
                    return new UringBackend();
                }
                LOG.log(fallbackLevel(probe), fallbackMessage(probe, why, "epoll", uring));
                return new EpollBackend();
            }
            default:
                throw new IOException("SPOOL: bad " + PROPERTY + "=" + value
                        + " (expected auto, spool, uring or epoll)");
        }
    }

    /** The backend auto would take on this machine now (spool, uring or epoll), without logging. */
    public static String autoName() {
        return spoolUnavailable(SpoolAbi.probeVersion()) == null ? "spool"
                : UringBackend.unavailable() == null ? "uring" : "epoll";
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

    /**
     * The fallback's log line: the backend taken, why spool was not (and
     * why uring was not, when {@code uringWhy} is not null), and for a
     * WARNING the fix.
     */
    static String fallbackMessage(int probe, String why, String taken, String uringWhy) {
        String m = "SPOOL: backend " + taken + " (" + PROPERTY + "=auto; spool: " + why
                + (uringWhy == null ? "" : "; uring: " + uringWhy) + ")";
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
        return m + (taken.equals("epoll") ? ": SPOOL runs without batching" : ": SPOOL batches through io_uring")
                + "; to use the module, " + fix;
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
