package io.spool.sys;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/** The loaded libc and its errno. */
public final class Native {
    public static final LibC C = LibraryLoader.create(LibC.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(C);

    private Native() {
    }

    /** errno of the last call made through {@link #C} on this thread. */
    public static int errno() {
        return RUNTIME.getLastError();
    }
}
