package io.spool.sys;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AccessController;
import java.security.PrivilegedAction;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;

/**
 * What SPOOL does for itself, which the code calling a channel may not be
 * allowed to do under a SecurityManager (read a property, open /dev/spool,
 * start a thread, add a shutdown hook), runs with SPOOL's own permissions,
 * as the JDK's own provider does in java.base: a policy then need only
 * grant the SPOOL and JNR jars. Native calls are not checked by a
 * SecurityManager at all.
 *
 * <p>Without a SecurityManager (always, on JDK 24 and later) the action
 * just runs.
 */
@SuppressWarnings("removal")
public final class Privileged {
    private Privileged() {
    }

    public static <T> T run(PrivilegedAction<T> action) {
        return System.getSecurityManager() == null ? action.run() : AccessController.doPrivileged(action);
    }

    /** A property, read with SPOOL's permissions. */
    public static String property(String name, String def) {
        return run(() -> System.getProperty(name, def));
    }

    /**
     * The first line of a file (a /proc or /sys value), read with SPOOL's
     * permissions. As a line, not with Files.readString: that returned
     * only the first byte of /proc/sys/net/core/somaxconn ("4" for 4096)
     * on the 6.18 kernel of the machine this was written on.
     */
    public static String firstLine(String path) throws IOException {
        return io(() -> {
            try (BufferedReader r = Files.newBufferedReader(Path.of(path))) {
                String line = r.readLine();
                if (line == null) {
                    throw new IOException(path + " is empty");
                }
                return line.trim();
            }
        });
    }

    /** An action that may throw IOException. */
    public static <T> T io(PrivilegedExceptionAction<T> action) throws IOException {
        if (System.getSecurityManager() == null) {
            try {
                return action.run();
            } catch (IOException | RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IOException(e);
            }
        }
        try {
            return AccessController.doPrivileged(action);
        } catch (PrivilegedActionException e) {
            Exception c = e.getException();
            if (c instanceof IOException) {
                throw (IOException) c;
            }
            throw new IOException(c);
        }
    }
}
