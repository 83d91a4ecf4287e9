package io.spool.sys;

import jnr.ffi.LibraryLoader;
import java.util.function.Supplier;
import jnr.ffi.Runtime;

/** The loaded libc and its errno. */
public final class Native {
    public static final LibC C = uninterrupted(() -> LibraryLoader.create(LibC.class).load("c"));
    private static final Runtime RUNTIME = Runtime.getRuntime(C);

    private Native() {
    }

    /**
     * Runs a native library's loading with the caller's interrupt status
     * cleared, and sets it again after. jffi copies its stub through an
     * interruptible FileChannel: on a thread whose interrupt status is set,
     * the copy fails with ClosedByInterruptException, the class
     * initialisation fails, and every later call in the JVM would throw
     * NoClassDefFoundError. The first SPOOL call may come from any thread.
     */
    static <T> T uninterrupted(Supplier<T> load) {
        boolean interrupted = Thread.interrupted();
        try {
            return load.get();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** errno of the last call made through {@link #C} on this thread. */
    public static int errno() {
        return RUNTIME.getLastError();
    }
}
