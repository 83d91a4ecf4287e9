package io.spool.sys;

import java.io.IOException;
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
