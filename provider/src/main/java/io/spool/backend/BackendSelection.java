package io.spool.backend;

import io.spool.sys.Counters;
import io.spool.sys.Errno;
import io.spool.sys.NativeErrors;
import io.spool.sys.SpoolAbi;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;

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
                chose("epoll", Level.INFO, "SPOOL: backend epoll (" + PROPERTY + "=epoll)");
                return new EpollBackend();
            case "spool": {
                String why = spoolUnavailable(SpoolAbi.probeVersion());
                if (why == null) {
                    chose("spool", Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=spool)");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                throw new IOException("SPOOL: " + PROPERTY + "=spool but the spool backend is "
                        + "unavailable: " + why);
            }
            case "uring": {
                String why = UringBackend.unavailable();
                if (why == null) {
                    chose("uring", Level.INFO, "SPOOL: backend uring (" + PROPERTY + "=uring)");
                    return new UringBackend();
                }
                throw new IOException("SPOOL: " + PROPERTY + "=uring but the uring backend is "
                        + "unavailable: " + why);
            }
            case "auto": {
                int probe = SpoolAbi.probeVersion();
                String why = spoolUnavailable(probe);
                if (why == null) {
                    chose("spool", Level.INFO, "SPOOL: backend spool (" + PROPERTY + "=auto; "
                            + SpoolAbi.DEVICE + " speaks ABI version " + SpoolAbi.SPOOL_ABI_VERSION + ")");
                    return new SpoolBackend(SpoolAbi.SPOOL_ABI_VERSION);
                }
                String uring = UringBackend.unavailable();
                Counters.FALLBACKS.increment();
                if (uring == null) {
                    chose("uring", fallbackLevel(probe), fallbackMessage(probe, why, "uring", null));
                    return new UringBackend();
                }
                boolean uringFixable = UringBackend.refusedFixably();
                chose("epoll", fallbackLevel(probe, uringFixable),
                        fallbackMessage(probe, why, "epoll", uring, uringFixable));
                return new EpollBackend();
            }
            default:
                throw new IOException("SPOOL: bad " + PROPERTY + "=" + value
                        + " (expected auto, spool, uring or epoll)");
        }
    }

    /** The backend chosen last and the line that logged it, for the MXBean; null before any choice. */
    public record Choice(String backend, String why) {
    }

    private static volatile Choice last;

    /** The last choice made in this JVM, or null. */
    public static Choice last() {
        return last;
    }

    private static void chose(String backend, Level level, String message) {
        last = new Choice(backend, message);
        LOG.log(level, message);
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
        return moduleNotLoaded(probe) ? Level.INFO : Level.WARNING;
    }

    /**
     * The same for a fall to epoll: WARNING too when io_uring was refused
     * for a cause an operator can lift (seccomp, kernel.io_uring_disabled,
     * the locked-memory limit), not for a kernel without it.
     */
    static Level fallbackLevel(int probe, boolean uringFixable) {
        return moduleNotLoaded(probe) && !uringFixable ? Level.INFO : Level.WARNING;
    }

    private static boolean moduleNotLoaded(int probe) {
        return probe == -Errno.ENOENT || probe == -Errno.ENXIO || probe == -Errno.ENODEV;
    }

    /**
     * The fallback's log line: the backend taken, why spool was not (and
     * why uring was not, when {@code uringWhy} is not null), and for a
     * WARNING the fix.
     */
    static String fallbackMessage(int probe, String why, String taken, String uringWhy) {
        return fallbackMessage(probe, why, taken, uringWhy, false);
    }

    static String fallbackMessage(int probe, String why, String taken, String uringWhy, boolean uringFixable) {
        String m = "SPOOL: backend " + taken + " (" + PROPERTY + "=auto; spool: " + why
                + (uringWhy == null ? "" : "; uring: " + uringWhy) + ")";
        List<String> fixes = new ArrayList<>();
        if (!moduleNotLoaded(probe)) {
            if (probe == -Errno.EACCES || probe == -Errno.EPERM) {
                fixes.add("to use the module, give this user read and write access to " + SpoolAbi.DEVICE
                        + " (its group or mode)");
            } else if (probe >= 0) {
                fixes.add("to use the module, load the spool.ko built from the same tree as this jar");
            } else {
                fixes.add("to use the module, see the kernel log (dmesg) for the module's state");
            }
        }
        if (uringFixable) {
            fixes.add("to batch through io_uring, let this process have it (the cause above: the container's "
                    + "seccomp profile must allow io_uring_setup, io_uring_enter and io_uring_register; "
                    + "or kernel.io_uring_disabled=0; or a higher ulimit -l)");
        }
        if (fixes.isEmpty()) {
            return m;
        }
        return m + (taken.equals("epoll") ? ": SPOOL runs without batching" : ": SPOOL batches through io_uring")
                + "; " + String.join("; ", fixes);
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
